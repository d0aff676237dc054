import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Database } from "../src/db/connect.ts";
import { testApi, testDatabase, orderEvent, type TestApi } from "./harness.ts";

/**
 * Two programs in one database: one program's key never sees or touches the other's customers,
 * transactions, events or orders (issue 2 acceptance: "one program's key never sees another
 * program's customers (404)").
 */

let database: Database;
let a: TestApi;
let b: TestApi;
let bTxn: string;
let bCustomerId: string;

beforeAll(async () => {
  database = await testDatabase();
  a = await testApi({ database, program: { name: "Program A" } });
  b = await testApi({ database, program: { name: "Program B" } });
  await a.call("PUT", "/v1/customers/a-only", { name: "Alice Anders", email: "alice@a.example", phone: "+14155550101" });
  const put = await b.call("PUT", "/v1/customers/b-only", { name: "Bob Berger", email: "bob@b.example", phone: "+14155550202", tags: ["b-tag"] });
  expect(put.status).toBe(201);
  bCustomerId = put.body.id;
  const ev = await b.call("POST", "/v1/events", orderEvent("b-ev-1", "b-only", "b-order-1", 10_000));
  expect(ev.body.effects.pointsEarned).toBe(100);
  bTxn = ev.body.effects.transactionId;
});
afterAll(() => database.close());

/** Program B's customer is exactly as it was: nothing program A did reached it. */
async function bUntouched() {
  const c = await b.call("GET", "/v1/customers/b-only");
  expect(c.status).toBe(200);
  expect(c.body).toMatchObject({ id: bCustomerId, name: "Bob Berger", status: "active" });
  expect((await b.call("GET", "/v1/customers/b-only/balances")).body.available).toBe(100);
  const t = await b.call("GET", `/v1/transactions/${bTxn}`);
  expect(t.status).toBe(200);
  expect(t.body.reversedById).toBeNull();
}

describe("program A's key and program B's customers", () => {
  it.each([
    ["GET", "/v1/customers/b-only", undefined],
    ["GET", "/v1/customers/b-only/balances", undefined],
    ["GET", "/v1/customers/b-only/transactions", undefined],
    ["GET", "/v1/customers/b-only/summary", undefined],
    ["GET", "/v1/customers/b-only/export", undefined],
    ["PATCH", "/v1/customers/b-only", { name: "Hijacked" }],
    ["POST", "/v1/customers/b-only/adjustments", { amount: -50, reason: "steal" }],
    ["POST", "/v1/customers/b-only/adjustments", { amount: 50, reason: "gift" }],
    ["POST", "/v1/customers/b-only/erase", { reason: "wrong program" }],
  ] as const)("%s %s is 404 CUSTOMER_NOT_FOUND", async (method, path, body) => {
    const r = await a.call(method, path, body);
    expect(r.status).toBe(404);
    expect(r.body.code).toBe("CUSTOMER_NOT_FOUND");
    expect(r.text).not.toContain("Bob");
    await bUntouched();
  });

  it("the opaque customer id does not open B's customer either", async () => {
    const r = await a.call("GET", `/v1/customers/${bCustomerId}`);
    expect(r.status).toBe(404);
    expect(r.body.code).toBe("CUSTOMER_NOT_FOUND");
  });

  it("PUT with B's external id makes a separate customer in A", async () => {
    const r = await a.call("PUT", "/v1/customers/b-only", { name: "A's own b-only" });
    expect(r.status).toBe(201);
    expect(r.body.id).not.toBe(bCustomerId);
    expect((await a.call("GET", "/v1/customers/b-only/balances")).body.available).toBe(0);
    await bUntouched();
    expect((await a.call("POST", "/v1/customers/b-only/erase", { reason: "cleanup" })).status).toBe(200);
    await bUntouched();
  });
});

describe("program A's key and program B's transactions", () => {
  it("GET /v1/transactions/{id} is 404 TRANSACTION_NOT_FOUND", async () => {
    const r = await a.call("GET", `/v1/transactions/${bTxn}`);
    expect(r.status).toBe(404);
    expect(r.body.code).toBe("TRANSACTION_NOT_FOUND");
  });

  it("reversing it is 404 TRANSACTION_NOT_FOUND and leaves it unreversed", async () => {
    for (const force of [false, true]) {
      const r = await a.call("POST", `/v1/transactions/${bTxn}/reverse`, { reason: "not yours", force });
      expect(r.status).toBe(404);
      expect(r.body.code).toBe("TRANSACTION_NOT_FOUND");
    }
    await bUntouched();
  });
});

describe("listing and searching", () => {
  const externalIds = async (api: TestApi, query: string) => {
    const r = await api.call("GET", `/v1/customers${query}`);
    expect(r.status).toBe(200);
    return r.body.data.map((c: any) => c.externalId);
  };

  it("A's list never contains B's customers", async () => {
    const ids = (await a.call("GET", "/v1/customers?limit=200")).body.data.map((c: any) => c.id);
    expect(ids).not.toContain(bCustomerId);
    expect(await externalIds(a, "?limit=200")).toContain("a-only");
    expect(await externalIds(b, "?limit=200")).not.toContain("a-only");
  });

  it("A's searches never find B's customers by email, phone, name, id or tag", async () => {
    for (const q of ["?q=bob@b.example", "?q=%2B14155550202", "?q=Berger", "?q=b-only", "?email=bob@b.example", "?phone=%2B14155550202", "?tag=b-tag"]) {
      const data = (await a.call("GET", `/v1/customers${q}`)).body.data;
      expect(data.filter((c: any) => c.id === bCustomerId), q).toEqual([]);
    }
    // The same searches in B do find it: the query is right, the scope is what hides it.
    expect(await externalIds(b, "?q=Berger")).toEqual(["b-only"]);
    expect(await externalIds(b, "?email=bob@b.example")).toEqual(["b-only"]);
  });

  it("a cursor from B's list does not leak B's customers into A's list", async () => {
    const bPage = await b.call("GET", "/v1/customers?limit=1");
    const cursor = Buffer.from(bCustomerId).toString("base64url");
    const r = await a.call("GET", `/v1/customers?cursor=${bPage.body.nextCursor ?? cursor}`);
    expect(r.status).toBe(200);
    expect(r.body.data.every((c: any) => c.id !== bCustomerId)).toBe(true);
  });
});

describe("event and order ids", () => {
  it("the same event id, order id and customer id are independent in each program", async () => {
    const ra = await a.call("POST", "/v1/events", orderEvent("shared-ev", "shared-cust", "shared-order", 2_000));
    const rb = await b.call("POST", "/v1/events", orderEvent("shared-ev", "shared-cust", "shared-order", 7_000));
    expect(ra.status).toBe(200);
    expect(rb.status).toBe(200);
    expect(ra.body).toMatchObject({ status: "accepted", effects: { pointsEarned: 20 } });
    expect(rb.body).toMatchObject({ status: "accepted", effects: { pointsEarned: 70 } });
    expect(rb.headers.get("idempotent-replayed")).toBeNull();
    expect(rb.body.eventId).not.toBe(ra.body.eventId);
    expect((await a.call("GET", "/v1/customers/shared-cust/balances")).body.available).toBe(20);
    expect((await b.call("GET", "/v1/customers/shared-cust/balances")).body.available).toBe(70);
    expect((await a.call("GET", "/v1/customers/shared-cust")).body.id).not.toBe((await b.call("GET", "/v1/customers/shared-cust")).body.id);
  });

  it("a refund of the shared order id touches only the program it was sent to", async () => {
    const refund = { id: "shared-refund-ev", type: "order.refunded", customerId: "shared-cust", data: { orderId: "shared-order", refundId: "shared-refund", amount: 1_000 } };
    const ra = await a.call("POST", "/v1/events", refund);
    expect(ra.body).toMatchObject({ status: "accepted", effects: { refundAmount: 1_000, pointsClawedBack: 10 } });
    expect((await a.call("GET", "/v1/customers/shared-cust/balances")).body.available).toBe(10);
    expect((await b.call("GET", "/v1/customers/shared-cust/balances")).body.available).toBe(70);
    // B can still record its own refund with the same ids.
    const rb = await b.call("POST", "/v1/events", refund);
    expect(rb.body).toMatchObject({ status: "accepted", effects: { refundAmount: 1_000, pointsClawedBack: 10 } });
    expect(rb.headers.get("idempotent-replayed")).toBeNull();
    expect((await b.call("GET", "/v1/customers/shared-cust/balances")).body.available).toBe(60);
  });

  it("an order id B used does not conflict in A, and a refund in A of B's order is ORDER_NOT_FOUND", async () => {
    const r = await a.call("POST", "/v1/events", { id: "a-refund-b", type: "order.refunded", customerId: "b-only", data: { orderId: "b-order-1", refundId: "r-x", amount: 100 } });
    expect(r.status).toBe(422);
    expect(r.body.code).toBe("ORDER_NOT_FOUND");
    const again = await a.call("POST", "/v1/events", orderEvent("a-ev-b-order", "a-only", "b-order-1", 3_000));
    expect(again.body).toMatchObject({ status: "accepted", effects: { pointsEarned: 30 } });
    await bUntouched();
  });

  it("the same Idempotency-Key in both programs is two separate requests", async () => {
    const headers = { "idempotency-key": "same-key-both" };
    const ra = await a.call("PUT", "/v1/customers/idem-cust", { name: "In A" }, headers);
    const rb = await b.call("PUT", "/v1/customers/idem-cust", { name: "In B" }, headers);
    expect(ra.status).toBe(201);
    expect(rb.status).toBe(201);
    expect(rb.headers.get("idempotent-replayed")).toBeNull();
    expect((await a.call("GET", "/v1/customers/idem-cust")).body.name).toBe("In A");
    expect((await b.call("GET", "/v1/customers/idem-cust")).body.name).toBe("In B");
  });
});
