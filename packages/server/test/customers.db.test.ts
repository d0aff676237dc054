import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { sql } from "drizzle-orm";
import { rows, type Database } from "../src/db/connect.ts";
import { testApi, testDatabase, orderEvent, type TestApi } from "./harness.ts";
import { findProgram } from "../src/app/programs/program-repo.ts";
import { streamCustomerExport } from "../src/app/customers/export-customer.ts";

/** Customers over HTTP: upsert, normalisation, validation, list and search, export, erase. */

let database: Database;
beforeAll(async () => {
  database = await testDatabase();
});
afterAll(() => database.close());

/** A fresh program in the file's database: its customers start empty. */
const program = (opts: Parameters<typeof testApi>[0] = {}) => testApi({ ...opts, database });

describe("PUT /v1/customers/{externalId}", () => {
  let api: TestApi;
  beforeAll(async () => {
    api = await program();
  });

  it("creates the customer (201) and then updates it (200) under the same id", async () => {
    const created = await api.call("PUT", "/v1/customers/u-1", { name: "Ann Lee", email: "ann@example.com", tags: ["vip"] });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ externalId: "u-1", name: "Ann Lee", email: "ann@example.com", tags: ["vip"], status: "active", consent: { email: false, sms: false }, attributes: {} });
    expect(created.body.id).toMatch(/^cus_/);

    const updated = await api.call("PUT", "/v1/customers/u-1", { birthday: "1990-04-01", consent: { email: true } });
    expect(updated.status).toBe(200);
    expect(updated.body.id).toBe(created.body.id);
    expect(updated.body.birthday).toBe("1990-04-01");
    expect(updated.body.consent).toEqual({ email: true, sms: false });
  });

  it("keeps fields the update leaves out", async () => {
    await api.call("PUT", "/v1/customers/u-keep", { name: "Bo", email: "bo@example.com", locale: "vi", attributes: { plan: "gold" } });
    const r = await api.call("PUT", "/v1/customers/u-keep", { name: "Bo Tran" });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ name: "Bo Tran", email: "bo@example.com", locale: "vi", attributes: { plan: "gold" } });
  });

  it("clears a field sent as null", async () => {
    await api.call("PUT", "/v1/customers/u-null", { name: "Cy", email: "cy@example.com", phone: "+14155550123" });
    const r = await api.call("PUT", "/v1/customers/u-null", { email: null, phone: null });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ name: "Cy", email: null, phone: null });
    expect((await api.call("GET", "/v1/customers/u-null")).body.email).toBeNull();
  });

  it("lower-cases the email", async () => {
    const r = await api.call("PUT", "/v1/customers/u-mail", { email: "Dee.Mixed@Example.COM" });
    expect(r.status).toBe(201);
    expect(r.body.email).toBe("dee.mixed@example.com");
  });

  it("stores an international phone number in E.164", async () => {
    const r = await api.call("PUT", "/v1/customers/u-phone", { phone: "+84 90 123 4567" });
    expect(r.status).toBe(201);
    expect(r.body.phone).toBe("+84901234567");
  });

  it("refuses a national phone number when the program has no default country (INVALID_PHONE)", async () => {
    const r = await api.call("PUT", "/v1/customers/u-national", { phone: "090 123 4567" });
    expect(r.status).toBe(422);
    expect(r.body.code).toBe("INVALID_PHONE");
    expect((await api.call("GET", "/v1/customers/u-national")).status).toBe(404);
  });

  it("refuses something that is not a phone number (INVALID_PHONE)", async () => {
    const r = await api.call("PUT", "/v1/customers/u-badphone", { phone: "not a phone" });
    expect(r.status).toBe(422);
    expect(r.body).toMatchObject({ code: "INVALID_PHONE", details: { field: "phone" } });
  });

  it("refuses a time zone that is not IANA (INVALID_TIME_ZONE)", async () => {
    const r = await api.call("PUT", "/v1/customers/u-tz", { timeZone: "Mars/Olympus_Mons" });
    expect(r.status).toBe(422);
    expect(r.body.code).toBe("INVALID_TIME_ZONE");
    const ist = await api.call("PUT", "/v1/customers/u-tz", { timeZone: "IST" });
    expect(ist.status).toBe(422);
    expect(ist.body.code).toBe("INVALID_TIME_ZONE");
    const good = await api.call("PUT", "/v1/customers/u-tz", { timeZone: "Asia/Ho_Chi_Minh" });
    expect(good.status).toBe(201);
    expect(good.body.timeZone).toBe("Asia/Ho_Chi_Minh");
  });

  it("refuses more than 64 attributes (VALIDATION_FAILED)", async () => {
    const attributes = Object.fromEntries(Array.from({ length: 65 }, (_, i) => [`k${i}`, i]));
    const r = await api.call("PUT", "/v1/customers/u-attrs", { attributes });
    expect(r.status).toBe(400);
    expect(r.body.code).toBe("VALIDATION_FAILED");
    expect((await api.call("PUT", "/v1/customers/u-attrs", { attributes: Object.fromEntries(Object.entries(attributes).slice(0, 64)) })).status).toBe(201);
  });

  it("refuses attributes larger than 16 KB of JSON (VALIDATION_FAILED)", async () => {
    const r = await api.call("PUT", "/v1/customers/u-big", { attributes: { note: "x".repeat(17_000) } });
    expect(r.status).toBe(400);
    expect(r.body.code).toBe("VALIDATION_FAILED");
    expect((await api.call("GET", "/v1/customers/u-big")).status).toBe(404);
  });

  it("refuses an unknown field (VALIDATION_FAILED) instead of dropping it", async () => {
    const r = await api.call("PUT", "/v1/customers/u-unknown", { name: "Eve", nickname: "E" });
    expect(r.status).toBe(400);
    expect(r.body.code).toBe("VALIDATION_FAILED");
    expect(JSON.stringify(r.body.details)).toContain("nickname");
    expect((await api.call("GET", "/v1/customers/u-unknown")).status).toBe(404);
  });

  it('refuses the ids "." and ".." (VALIDATION_FAILED): no URL path can name them', async () => {
    for (const customerId of [".", ".."]) {
      const r = await api.call("POST", "/v1/events", { id: `dot-${customerId.length}`, type: "customer.signed_up", customerId, data: {} });
      expect(r.status).toBe(400);
      expect(r.body.code).toBe("VALIDATION_FAILED");
      expect(JSON.stringify(r.body.details)).toContain("customerId");
    }
    // Dots elsewhere in an id are fine.
    expect((await api.call("PUT", `/v1/customers/${encodeURIComponent("a.b..")}`, { name: "Dot" })).status).toBe(201);
    expect((await api.call("GET", `/v1/customers/${encodeURIComponent("a.b..")}`)).body.name).toBe("Dot");
  });

  it("removes duplicate tags", async () => {
    const r = await api.call("PUT", "/v1/customers/u-tags", { tags: ["a", "b", "a"] });
    expect(r.body.tags).toEqual(["a", "b"]);
  });
});

describe("a program with a default country", () => {
  it("reads a national phone number in that country", async () => {
    const api = await program({ program: { defaultCountry: "VN", currency: "VND", timeZone: "Asia/Ho_Chi_Minh" } });
    const r = await api.call("PUT", "/v1/customers/vn-1", { phone: "090 123 4567" });
    expect(r.status).toBe(201);
    expect(r.body.phone).toBe("+84901234567");
    const found = await api.call("GET", "/v1/customers?phone=0901234567");
    expect(found.body.data.map((c: any) => c.externalId)).toEqual(["vn-1"]);
  });
});

describe("PATCH and GET /v1/customers/{externalId}", () => {
  let api: TestApi;
  beforeAll(async () => {
    api = await program();
  });

  it("PATCH of an unknown customer is 404 CUSTOMER_NOT_FOUND and creates nothing", async () => {
    const r = await api.call("PATCH", "/v1/customers/nobody", { name: "Ghost" });
    expect(r.status).toBe(404);
    expect(r.body.code).toBe("CUSTOMER_NOT_FOUND");
    expect((await api.call("GET", "/v1/customers/nobody")).status).toBe(404);
  });

  it("PATCH updates an existing customer and keeps the rest", async () => {
    await api.call("PUT", "/v1/customers/p-1", { name: "Fay", email: "fay@example.com" });
    const r = await api.call("PATCH", "/v1/customers/p-1", { name: "Fay Wong" });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ externalId: "p-1", name: "Fay Wong", email: "fay@example.com" });
  });

  it("GET returns the customer as stored", async () => {
    const put = await api.call("PUT", "/v1/customers/g-1", { name: "Gus", email: "GUS@example.com", birthday: "1985-12-31", tags: ["t"] });
    const r = await api.call("GET", "/v1/customers/g-1");
    expect(r.status).toBe(200);
    expect(r.body).toEqual(put.body);
    expect(r.body.email).toBe("gus@example.com");
  });

  it("GET of an unknown customer is 404 CUSTOMER_NOT_FOUND", async () => {
    const r = await api.call("GET", "/v1/customers/missing");
    expect(r.status).toBe(404);
    expect(r.body.code).toBe("CUSTOMER_NOT_FOUND");
  });
});

describe("GET /v1/customers (list)", () => {
  let api: TestApi;
  const ids: string[] = [];
  beforeAll(async () => {
    api = await program();
    for (let i = 0; i < 120; i++) {
      const r = await api.call("PUT", `/v1/customers/list-${String(i).padStart(3, "0")}`, { name: `Customer ${i}` });
      expect(r.status).toBe(201);
      ids.push(r.body.id);
    }
  });

  it("pages through every customer exactly once, oldest first, and ends with a null cursor", async () => {
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const r: Awaited<ReturnType<TestApi["call"]>> = await api.call("GET", `/v1/customers?limit=50${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`);
      expect(r.status).toBe(200);
      expect(r.body.data.length).toBeLessThanOrEqual(50);
      seen.push(...r.body.data.map((c: any) => c.id));
      cursor = r.body.nextCursor;
      pages++;
    } while (cursor !== null && pages < 10);
    expect(pages).toBe(3);
    expect(seen).toEqual(ids);
    expect(new Set(seen).size).toBe(120);
  });

  it("ends with nextCursor null when the last page is exactly full", async () => {
    const first = await api.call("GET", "/v1/customers?limit=60");
    expect(first.body.nextCursor).not.toBeNull();
    const second = await api.call("GET", `/v1/customers?limit=60&cursor=${first.body.nextCursor}`);
    expect(second.body.data).toHaveLength(60);
    expect(second.body.nextCursor).toBeNull();
  });

  it("defaults to 50 a page", async () => {
    const r = await api.call("GET", "/v1/customers");
    expect(r.body.data).toHaveLength(50);
    expect(r.body.data[0].id).toBe(ids[0]);
  });

  it("refuses a limit that is not one whole number from 1 to 200, saying so (a repeated limit too)", async () => {
    for (const query of ["limit=0", "limit=201", "limit=2.5", "limit=ten", "limit=5&limit=6"]) {
      const r = await api.call("GET", `/v1/customers?${query}`);
      expect(r.status, query).toBe(400);
      expect(r.body).toMatchObject({ code: "VALIDATION_FAILED", message: "limit: must be a whole number from 1 to 200, given once" });
    }
  });

  it("refuses a cursor it did not issue (INVALID_CURSOR)", async () => {
    for (const bad of ["garbage", Buffer.from("txn_01ABC").toString("base64url"), Buffer.from("cus_x' or 1=1").toString("base64url")]) {
      const r = await api.call("GET", `/v1/customers?cursor=${bad}`);
      expect(r.status).toBe(400);
      expect(r.body.code).toBe("INVALID_CURSOR");
    }
  });

  it("refuses a truncated cursor (INVALID_CURSOR) instead of repeating rows", async () => {
    // Ids of one millisecond share their first characters: a cut cursor still named a place in the
    // list, just before the row it was cut from, and the next page began with rows already seen.
    const first = await api.call("GET", "/v1/customers?limit=50");
    const cursor: string = first.body.nextCursor;
    for (const cut of [1, 2, 5, 10]) {
      const r = await api.call("GET", `/v1/customers?limit=50&cursor=${cursor.slice(0, -cut)}`);
      expect(r.status, `cut ${cut}: ${r.text.slice(0, 200)}`).toBe(400);
      expect(r.body.code).toBe("INVALID_CURSOR");
    }
  });

  it("refuses a limit above 200 (VALIDATION_FAILED)", async () => {
    const r = await api.call("GET", "/v1/customers?limit=201");
    expect(r.status).toBe(400);
    expect(r.body.code).toBe("VALIDATION_FAILED");
  });
});

describe("searching customers", () => {
  let api: TestApi;
  const find = async (query: string) => {
    const r = await api.call("GET", `/v1/customers?${query}`);
    expect(r.status).toBe(200);
    return r.body.data.map((c: any) => c.externalId).sort();
  };
  beforeAll(async () => {
    api = await program();
    await api.call("PUT", "/v1/customers/s-ann", { name: "Ann Nguyen", email: "ann@example.com", phone: "+84901234567", tags: ["vip", "hcm"] });
    await api.call("PUT", "/v1/customers/s-ben", { name: "Ben Nguyen", email: "ben@example.com", phone: "+14155550123", tags: ["hcm"] });
    await api.call("PUT", "/v1/customers/s-cat", { name: "Cat 100%_off", email: "cat@example.com", status: "blocked" });
  });

  it("q matches an email whatever its case", async () => {
    expect(await find(`q=${encodeURIComponent("ANN@Example.com")}`)).toEqual(["s-ann"]);
  });

  it("q matches a phone number written another way", async () => {
    expect(await find(`q=${encodeURIComponent("+84 90 123 45 67")}`)).toEqual(["s-ann"]);
  });

  it("q matches part of a name, case-insensitively", async () => {
    expect(await find("q=nguy")).toEqual(["s-ann", "s-ben"]);
  });

  it("q treats % and _ literally", async () => {
    expect(await find(`q=${encodeURIComponent("%_")}`)).toEqual(["s-cat"]);
    expect(await find(`q=${encodeURIComponent("%")}`)).toEqual(["s-cat"]);
  });

  it("q matches the store's id", async () => {
    expect(await find("q=s-ben")).toEqual(["s-ben"]);
  });

  it("q matches an id of any length ids have (255 characters)", async () => {
    const long = "L".repeat(255);
    await api.call("PUT", `/v1/customers/${long}`, { name: "Long Id" });
    expect(await find(`q=${long}`)).toEqual([long]);
  });

  it("refuses a q of spaces only (VALIDATION_FAILED), as it refuses an empty q, instead of listing every customer", async () => {
    for (const q of ["", "%20%20", "%09"]) {
      const r = await api.call("GET", `/v1/customers?q=${q}`);
      expect(r.status, q).toBe(400);
      expect(r.body).toMatchObject({ code: "VALIDATION_FAILED", details: { issues: [{ path: "q" }] } });
    }
  });

  it("q that matches nothing returns an empty page", async () => {
    const r = await api.call("GET", "/v1/customers?q=zzz");
    expect(r.body).toEqual({ data: [], nextCursor: null });
  });

  it("email= and phone= filter on the normalised value", async () => {
    expect(await find(`email=${encodeURIComponent("BEN@EXAMPLE.COM")}`)).toEqual(["s-ben"]);
    expect(await find(`phone=${encodeURIComponent("+1 (415) 555-0123")}`)).toEqual(["s-ben"]);
  });

  it("tag= and status= filter", async () => {
    expect(await find("tag=hcm")).toEqual(["s-ann", "s-ben"]);
    expect(await find("tag=vip")).toEqual(["s-ann"]);
    expect(await find("status=blocked")).toEqual(["s-cat"]);
    expect(await find("status=active&tag=hcm")).toEqual(["s-ann", "s-ben"]);
  });

  it("refuses an unknown status (VALIDATION_FAILED)", async () => {
    const r = await api.call("GET", "/v1/customers?status=deleted");
    expect(r.status).toBe(400);
    expect(r.body.code).toBe("VALIDATION_FAILED");
  });
});

describe("export and erase", () => {
  let api: TestApi;
  let customerId: string;
  let earnTxn: string;
  beforeAll(async () => {
    api = await program();
    const signup = await api.call("POST", "/v1/events", { id: "sig-1", type: "customer.signed_up", customerId: "x-1", data: { name: "Hoa Pham", email: "hoa@example.com", phone: "+84912345678" } });
    expect(signup.status).toBe(200);
    const o1 = await api.call("POST", "/v1/events", orderEvent("ev-o1", "x-1", "ord-1", 10_000));
    expect(o1.body.effects.pointsEarned).toBe(100);
    earnTxn = o1.body.effects.transactionId;
    const o2 = await api.call("POST", "/v1/events", { ...orderEvent("ev-o2", "x-1", "ord-2", 0), data: { orderId: "ord-2", currency: "USD", lines: [{ sku: "A", name: "Latte", quantity: 2, unitPrice: 2_500 }] } });
    expect(o2.body.effects.pointsEarned).toBe(50);
    const refund = await api.call("POST", "/v1/events", { id: "ev-r1", type: "order.refunded", customerId: "x-1", data: { orderId: "ord-1", refundId: "ref-1", amount: 5_000 } });
    expect(refund.status).toBe(200);
    expect(refund.body.effects.pointsClawedBack).toBe(50);
    customerId = (await api.call("GET", "/v1/customers/x-1")).body.id;
  });

  it("exports the profile, balances, transactions with postings, orders with lines and events", async () => {
    const r = await api.call("GET", "/v1/customers/x-1/export");
    expect(r.status).toBe(200);
    const x = r.body;
    expect(x.customer).toMatchObject({ id: customerId, externalId: "x-1", name: "Hoa Pham", email: "hoa@example.com", phone: "+84912345678" });
    expect(x.balances).toMatchObject({ available: 100, pending: 0 });
    expect(x.transactions.map((t: any) => t.type).sort()).toEqual(["earn", "earn", "refund"]);
    for (const t of x.transactions) {
      expect(t.postings.length).toBeGreaterThan(0);
      expect(t.postings.every((p: any) => p.asset === "points" && typeof p.amount === "number")).toBe(true);
    }
    expect(x.transactions.map((t: any) => t.id)).toContain(earnTxn);
    expect(x.orders.map((o: any) => o.orderId)).toEqual(["ord-1", "ord-2"]);
    const ord1 = x.orders.find((o: any) => o.orderId === "ord-1");
    expect(Number(ord1.refundedAmount)).toBe(5_000);
    expect(ord1.lines).toEqual([expect.objectContaining({ sku: "SKU-1", quantity: 1 })]);
    expect(x.orders.find((o: any) => o.orderId === "ord-2").lines).toEqual([expect.objectContaining({ sku: "A", name: "Latte", quantity: 2 })]);
    expect(x.events.map((e: any) => e.id).sort()).toEqual(["ev-o1", "ev-o2", "ev-r1", "sig-1"]);
    expect(x.events.find((e: any) => e.id === "sig-1").data).toMatchObject({ email: "hoa@example.com" });
    expect(x.summary).toMatchObject({ lifetimeOrders: 2 });
    expect(typeof x.exportedAt).toBe("string");
  });

  it("exports a history longer than a page whole and in order, as JSON with a JSON content type", async () => {
    const n = 1_234; // more than two of the export's pages (500 rows)
    for (let i = 0; i < n; i += 1000) {
      const events = Array.from({ length: Math.min(1000, n - i) }, (_, k) => orderEvent(`long-${String(i + k).padStart(5, "0")}`, "long", `long-o-${i + k}`, 100 + (i + k)));
      expect((await api.call("POST", "/v1/events/batch", { events })).body.accepted).toBe(events.length);
      api.clock.advanceDays(1); // the orders of the second batch are placed later
    }
    const r = await api.call("GET", "/v1/customers/long/export");
    expect(r.status).toBe(200);
    expect(r.headers.get("content-type")).toMatch(/^application\/json/);
    const x = r.body;
    // The ledger as its own endpoint pages it, newest first.
    const pages: string[] = [];
    let cursor: string | null = null;
    do {
      const page: any = (await api.call("GET", `/v1/customers/long/transactions?limit=200${cursor ? `&cursor=${cursor}` : ""}`)).body;
      pages.push(...page.data.map((t: any) => t.id));
      cursor = page.nextCursor;
    } while (cursor);
    expect(x.transactions.map((t: any) => t.id)).toEqual(pages);
    expect(x.transactions).toHaveLength(n);
    expect(x.balances.available).toBe(x.transactions.reduce((sum: number, t: any) => sum + t.change.available, 0));
    expect(x.orders).toHaveLength(n);
    expect(new Set(x.orders.map((o: any) => o.orderId)).size).toBe(n);
    expect(x.orders.map((o: any) => o.placedAt)).toEqual([...x.orders.map((o: any) => o.placedAt)].sort());
    expect(x.events.map((e: any) => e.id).sort()).toEqual(Array.from({ length: n }, (_, i) => `long-${String(i).padStart(5, "0")}`));
    expect(x.events[0].data.lines[0]).toMatchObject({ sku: "SKU-1", quantity: 1 });
  }, 120_000);

  it("an export whose client stops reading gives up and frees its transaction (the only connection, on PGlite)", async () => {
    const program = (await findProgram(api.ctx.db, api.programId))!;
    const r = await streamCustomerExport(api.ctx.db, program, "long", api.clock.now(), { error() {} }, 200);
    if (!r.ok) throw new Error(r.error.message);
    const reader = r.value.getReader();
    const first = await reader.read(); // the head, then nothing more is taken
    expect(new TextDecoder().decode(first.value)).toMatch(/^\{"customer":/);
    // The export waits 200 ms for the client, then aborts: the rest of the body is an error, and the
    // database answers other requests again (on PGlite they would wait behind the export forever).
    await new Promise((res) => setTimeout(res, 1_000));
    await expect(async () => {
      for (;;) if ((await reader.read()).done) break;
    }).rejects.toThrow(/took nothing/);
    expect((await api.call("GET", "/v1/customers/long")).status).toBe(200);
  });

  it("a HEAD of the export answers with the export's status and headers and ends its transaction at once", async () => {
    // Hono answers HEAD with the GET route's response and drops its body unread. Left waiting for a
    // reader, the export held its transaction (on PGlite, the only connection: every other request
    // waited) until the 30 s stall limit cut it off; it is cancelled as soon as the answer is made.
    const error = vi.spyOn(api.ctx.log, "error");
    try {
      const head = await api.raw({ method: "HEAD", path: "/v1/customers/x-1/export", headers: { authorization: `Bearer ${api.secretKey}` } });
      expect(head.status).toBe(200);
      expect(head.headers.get("content-type")).toMatch(/^application\/json/);
      await vi.waitFor(() => expect(error).toHaveBeenCalledWith(expect.objectContaining({ msg: "export of customer x-1 stopped" })));
      expect((await api.call("GET", "/v1/customers/x-1")).status).toBe(200);
      const unknown = await api.raw({ method: "HEAD", path: "/v1/customers/nope/export", headers: { authorization: `Bearer ${api.secretKey}` } });
      expect(unknown.status).toBe(404);
    } finally {
      error.mockRestore();
    }
  });

  it("export of an unknown customer is 404 CUSTOMER_NOT_FOUND", async () => {
    const r = await api.call("GET", "/v1/customers/nope/export");
    expect(r.status).toBe(404);
    expect(r.body.code).toBe("CUSTOMER_NOT_FOUND");
  });

  it("erase removes personal data, releases the id and keeps the ledger", async () => {
    const balancesBefore = (await api.call("GET", "/v1/customers/x-1/balances")).body;
    const ledgerBefore = await rows<{ n: number | string }>(api.ctx.db, sql`select count(*) as n from ledger_transactions where customer_id = ${customerId}`);

    const r = await api.call("POST", "/v1/customers/x-1/erase", { reason: "GDPR request #12" });
    expect(r.status).toBe(200);
    expect(r.body.id).toBe(customerId);
    expect(typeof r.body.erasedAt).toBe("string");

    // The store's id no longer finds anyone; the export is gone with it.
    expect((await api.call("GET", "/v1/customers/x-1")).body.code).toBe("CUSTOMER_NOT_FOUND");
    const exp = await api.call("GET", "/v1/customers/x-1/export");
    expect(exp.status).toBe(404);
    expect(exp.body.code).toBe("CUSTOMER_NOT_FOUND");

    // The profile is empty and marked erased.
    const erased = (await api.call("GET", "/v1/customers?status=erased")).body.data;
    expect(erased).toHaveLength(1);
    expect(erased[0]).toMatchObject({ id: customerId, externalId: null, email: null, phone: null, name: null, birthday: null, locale: null, timeZone: null, attributes: {}, tags: [], status: "erased" });
    expect((await api.call("GET", "/v1/customers?q=hoa@example.com")).body.data).toEqual([]);

    // The ledger stays: same rows, same balance under the opaque id.
    const ledgerAfter = await rows<{ n: number | string }>(api.ctx.db, sql`select count(*) as n from ledger_transactions where customer_id = ${customerId}`);
    expect(Number(ledgerAfter[0]!.n)).toBe(Number(ledgerBefore[0]!.n));
    expect(Number(ledgerAfter[0]!.n)).toBe(3);
    const [bal] = await rows<{ available: number | string }>(api.ctx.db, sql`select available from account_balances where customer_id = ${customerId} and asset = 'points'`);
    expect(Number(bal!.available)).toBe(balancesBefore.available);
    expect((await api.call("GET", `/v1/transactions/${earnTxn}`)).status).toBe(200);

    // The signup event's personal data is blanked.
    const evs = await rows<{ type: string; data: unknown }>(api.ctx.db, sql`select type, data from events where customer_id = ${customerId}`);
    const signup = evs.find((e) => e.type === "customer.signed_up")!;
    const data = typeof signup.data === "string" ? JSON.parse(signup.data) : signup.data;
    expect(data).toEqual({ erased: true });
    expect(JSON.stringify(evs)).not.toContain("hoa@example.com");

    // Stored event results (kept for replays) name the customer by the opaque id now, not the store's id.
    const stored = await rows<{ response: string }>(api.ctx.db, sql`select response from events where external_id in ('sig-1', 'ev-o1', 'ev-o2', 'ev-r1')`);
    expect(stored).toHaveLength(4);
    for (const r of stored) expect(JSON.parse(r.response).customerId).toBe(customerId);
  });

  it("after erase, the same external id makes a new customer", async () => {
    const r = await api.call("PUT", "/v1/customers/x-1", { name: "Someone new" });
    expect(r.status).toBe(201);
    expect(r.body.id).not.toBe(customerId);
    expect((await api.call("GET", "/v1/customers/x-1/balances")).body.available).toBe(0);
  });

  it("erase of an unknown customer is 404 CUSTOMER_NOT_FOUND", async () => {
    const r = await api.call("POST", "/v1/customers/nope/erase", { reason: "test" });
    expect(r.status).toBe(404);
    expect(r.body.code).toBe("CUSTOMER_NOT_FOUND");
  });

  it("erase needs a reason (VALIDATION_FAILED)", async () => {
    await api.call("PUT", "/v1/customers/x-2", { name: "Keep me" });
    const r = await api.call("POST", "/v1/customers/x-2/erase", {});
    expect(r.status).toBe(400);
    expect(r.body.code).toBe("VALIDATION_FAILED");
    expect((await api.call("GET", "/v1/customers/x-2")).body.name).toBe("Keep me");
  });
});

describe("a blocked customer", () => {
  it("has the order stored but earns nothing (earningSkipped CUSTOMER_BLOCKED)", async () => {
    const api = await program();
    expect((await api.call("PUT", "/v1/customers/b-1", { status: "blocked" })).status).toBe(201);
    const r = await api.call("POST", "/v1/events", orderEvent("b-ev-1", "b-1", "b-ord-1", 20_000));
    expect(r.status).toBe(200);
    expect(r.body.status).toBe("accepted");
    expect(r.body.effects).toMatchObject({ pointsEarned: 0, earningSkipped: "CUSTOMER_BLOCKED" });
    expect(r.body.effects.transactionId).toBeUndefined();
    expect((await api.call("GET", "/v1/customers/b-1/balances")).body.available).toBe(0);
    const exp = (await api.call("GET", "/v1/customers/b-1/export")).body;
    expect(exp.orders.map((o: any) => o.orderId)).toEqual(["b-ord-1"]);
    expect(exp.transactions).toEqual([]);

    // Unblocked, the next order earns again.
    await api.call("PATCH", "/v1/customers/b-1", { status: "active" });
    const next = await api.call("POST", "/v1/events", orderEvent("b-ev-2", "b-1", "b-ord-2", 20_000));
    expect(next.body.effects.pointsEarned).toBe(200);
  });
});

describe("Idempotency-Key on PUT", () => {
  let api: TestApi;
  beforeAll(async () => {
    api = await program();
  });

  it("a replay returns the same body with idempotent-replayed: true and changes nothing", async () => {
    const headers = { "idempotency-key": "put-key-1" };
    const first = await api.call("PUT", "/v1/customers/i-1", { name: "Ida" }, headers);
    expect(first.status).toBe(201);
    expect(first.headers.get("idempotent-replayed")).toBeNull();
    // A change made without the key in between must not leak into the replay.
    await api.call("PUT", "/v1/customers/i-1", { email: "ida@example.com" });
    const again = await api.call("PUT", "/v1/customers/i-1", { name: "Ida" }, headers);
    expect(again.status).toBe(201);
    expect(again.headers.get("idempotent-replayed")).toBe("true");
    expect(again.text).toBe(first.text);
    expect((await api.call("GET", "/v1/customers/i-1")).body.email).toBe("ida@example.com");
  });

  it("the same key with another body is 409 IDEMPOTENCY_CONFLICT with no effect", async () => {
    const headers = { "idempotency-key": "put-key-2" };
    expect((await api.call("PUT", "/v1/customers/i-2", { name: "Jo" }, headers)).status).toBe(201);
    const r = await api.call("PUT", "/v1/customers/i-2", { name: "Someone else" }, headers);
    expect(r.status).toBe(409);
    expect(r.body.code).toBe("IDEMPOTENCY_CONFLICT");
    expect((await api.call("GET", "/v1/customers/i-2")).body.name).toBe("Jo");
  });

  it("the same key on another customer's path is a conflict, not a replay", async () => {
    const headers = { "idempotency-key": "put-key-3" };
    expect((await api.call("PUT", "/v1/customers/i-3", { name: "Kim" }, headers)).status).toBe(201);
    const r = await api.call("PUT", "/v1/customers/i-4", { name: "Kim" }, headers);
    expect(r.status).toBe(409);
    expect(r.body.code).toBe("IDEMPOTENCY_CONFLICT");
    expect((await api.call("GET", "/v1/customers/i-4")).status).toBe(404);
  });

  it("refuses a key that is not printable ASCII (VALIDATION_FAILED)", async () => {
    const r = await api.call("PUT", "/v1/customers/i-5", { name: "Lu" }, { "idempotency-key": "has space" });
    expect(r.status).toBe(400);
    expect(r.body.code).toBe("VALIDATION_FAILED");
  });
});

describe("PATCH racing an erase", () => {
  it("never creates a customer under the released id: PATCH updates before the erase or answers 404 after it", async () => {
    const api = await program();
    // PATCH found the customer, the erase committed and released the id, and PATCH's upsert then made
    // a new customer under it: 200 with a new id, 19 times in 30 on PostgreSQL.
    for (let i = 0; i < 30; i++) {
      const first = await api.call("PUT", `/v1/customers/race-${i}`, { name: "Ann" });
      const [erase, patch] = await Promise.all([api.call("POST", `/v1/customers/race-${i}/erase`, { reason: "GDPR" }), api.call("PATCH", `/v1/customers/race-${i}`, { name: "Bea" })]);
      expect(erase.status).toBe(200);
      if (patch.status === 200) expect(patch.body.id).toBe(first.body.id);
      else expect(patch.body.code).toBe("CUSTOMER_NOT_FOUND");
      expect((await api.call("GET", `/v1/customers/race-${i}`)).status).toBe(404);
    }
    expect((await api.call("GET", "/v1/customers?status=active")).body.data).toEqual([]);
  });
});
