import { request as httpRequest } from "node:http";
import type { AddressInfo } from "node:net";
import { serve, type ServerType } from "@hono/node-server";
import { Hono } from "hono";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Env } from "./env.ts";
import { limitBody } from "./middleware.ts";

// Over a real socket, because the Content-Length fast path only exists there (an in-process
// Request carries no Content-Length).
describe("limitBody over HTTP", () => {
  let server: ServerType;
  let port = 0;
  beforeAll(async () => {
    const app = new Hono<Env>();
    app.use("*", limitBody(1_000, (c) => c.json({ code: "PAYLOAD_TOO_LARGE" }, 413)));
    app.post("/echo", async (c) => c.json({ length: (await c.req.text()).length }));
    await new Promise<void>((resolve) => {
      server = serve({ fetch: app.fetch, port: 0, hostname: "127.0.0.1" }, (info: AddressInfo) => {
        port = info.port;
        resolve();
      });
    });
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  /** Sends `body` with a Content-Length, or chunked (no length) when `chunks` is given. */
  const send = (body: string, chunks?: number) =>
    new Promise<{ status: number; body: unknown }>((resolve, reject) => {
      const req = httpRequest({ host: "127.0.0.1", port, path: "/echo", method: "POST", headers: chunks ? { "content-type": "text/plain" } : { "content-type": "text/plain", "content-length": String(Buffer.byteLength(body)) } }, (res) => {
        let text = "";
        res.on("data", (d: Buffer) => (text += d.toString()));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) as unknown }));
      });
      req.on("error", reject);
      if (chunks) for (let i = 0; i < chunks; i++) req.write(body.slice((i * body.length) / chunks, ((i + 1) * body.length) / chunks));
      else req.write(body);
      req.end();
    });

  it("passes a body within the limit, with a length or chunked", async () => {
    expect(await send("x".repeat(1_000))).toEqual({ status: 200, body: { length: 1_000 } });
    expect(await send("x".repeat(900), 3)).toEqual({ status: 200, body: { length: 900 } });
  });

  it("refuses a body over the limit by its Content-Length, and a chunked one by counting", async () => {
    expect(await send("x".repeat(1_001))).toEqual({ status: 413, body: { code: "PAYLOAD_TOO_LARGE" } });
    expect(await send("x".repeat(3_000), 3)).toEqual({ status: 413, body: { code: "PAYLOAD_TOO_LARGE" } });
  });
});
