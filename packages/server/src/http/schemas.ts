import { z } from "@hono/zod-openapi";
import { CURRENCIES, ROUNDINGS, checkWalletPolicy } from "@patron/core";

/**
 * Request and response schemas. They validate every request and generate openapi.json, so the
 * contract and the checks cannot drift apart. Objects are strict: an unknown field is an error,
 * not something silently dropped.
 */

export const MAX_AMOUNT = 1_000_000_000_000; // 10^12 minor units or points: far above any real order, far below 2^53

/** What lines cost before any discount: each line's quantity times its unit price, summed. */
const linesTotal = (lines: readonly { quantity: number; unitPrice: number }[]): number => lines.reduce((sum, l) => sum + l.quantity * l.unitPrice, 0);

/**
 * For `.refine` on a cart (lines and shipping), as an order's lines, shipping and tax are bounded
 * (OrderCompleted): each field is bounded, their products and sums were not (10,000 units at 10^12
 * is past 2^53, and pricing such a cart threw: a 500). Its total is then an amount too, which a
 * completion takes back as `expectedTotal`.
 */
export const cartWithinMax = (cart: { lines: readonly { quantity: number; unitPrice: number }[]; shipping?: number | undefined }): boolean =>
  linesTotal(cart.lines) + (cart.shipping ?? 0) <= MAX_AMOUNT;
export const CART_OVER_MAX = { message: `the lines and shipping must add up to at most ${MAX_AMOUNT} minor units`, path: ["lines"] };
export const amount = z.number().int().min(0).max(MAX_AMOUNT);
// "." and ".." are refused: as a URL path segment they are removed or climb a level (WHATWG URL,
// even written %2E), so a customer with such an id could never be read, and /v1/customers/./balances
// would reach the customer "balances".
export const id = z.string().min(1).max(255).regex(/^(?!\.\.?$)[\x21-\x7e]+$/, 'printable ASCII without spaces, and not "." or ".."');
// Years 0001 to 9999 only, in UTC too: zod accepts 0000-01-01T00:00:00Z and 9999-12-31T23:59:59-14:00,
// which PostgreSQL refuses (year 0, year 10000 once in UTC), so they reached the database and were a 500.
const dateTimeInYears = (from: number, to: number, message: string) =>
  z.iso.datetime({ offset: true }).refine((s) => {
    const y = new Date(s).getUTCFullYear();
    return y >= from && y <= to;
  }, message);
// And from the year 1000: PostgreSQL writes a timestamp as "0050-06-01 00:00:00+00", which the
// drivers (and drizzle) read with new Date(), taking a two-digit year as 19xx or 20xx: a tier held
// until 0050 was read back as held until 1950, a tier since 0099 as since 1999, on both databases.
export const isoDateTime = dateTimeInYears(1000, 9999, "a date between the years 1000 and 9999");
const isoDate = z.iso.date().refine((s) => !s.startsWith("0000"), "a date from the year 0001 on");
/**
 * When an event happened: years 1970 to 2999. Expiry and pending dates are computed from it, up to ten
 * years later: an order of 9999 expired past 9999, which neither PostgreSQL's input nor ISO strings of
 * four-digit years hold (a 500), and an order of the year 0001 expired in 1912 (before core's `utc`).
 */
const businessTime = dateTimeInYears(1970, 2999, "a time between the years 1970 and 2999");

/**
 * An open JSON value (attributes, custom event data) within `maxChars` serialised and 32 levels deep.
 * The depth is checked first, without recursion: JSON.stringify of a value nested some thousand
 * levels deep throws RangeError, which was a 500, and deep values also overflow the hashing and jsonb.
 */
export function boundedJson(v: unknown, maxChars: number, maxDepth = 32): boolean {
  const stack: [unknown, number][] = [[v, 0]];
  while (stack.length > 0) {
    const [x, depth] = stack.pop()!;
    if (x === null || typeof x !== "object") continue;
    if (depth >= maxDepth) return false;
    for (const child of Object.values(x)) stack.push([child, depth + 1]);
  }
  return JSON.stringify(v).length <= maxChars;
}

export const ErrorBody = z
  .object({
    code: z.string().openapi({ example: "INSUFFICIENT_POINTS" }),
    message: z.string(),
    details: z.record(z.string(), z.unknown()),
  })
  .openapi("Error");

/** Exported for stamp cards' stamp expiry (stamp-schemas.ts). */
export const expiry = z.discriminatedUnion("kind", [
  z.strictObject({ kind: z.literal("never") }),
  z.strictObject({ kind: z.literal("days"), days: z.number().int().min(1).max(3650) }),
  z.strictObject({ kind: z.literal("end_of_month"), months: z.number().int().min(0).max(120) }),
]).openapi("ExpiryPolicy");

export const Earning = z
  .strictObject({
    enabled: z.boolean(),
    points: z.number().int().min(0).max(1_000_000),
    per: z.number().int().min(1).max(MAX_AMOUNT),
    rounding: z.enum(ROUNDINGS),
  })
  .openapi("BasicEarning", { description: "`points` per `per` minor units of the order's earning base (merchandise after discounts, no shipping or tax)." });

export const LedgerPolicy = z
  .strictObject({
    pendingDays: z.number().int().min(0).max(365),
    expiry,
    clawback: z.enum(["allow_negative", "cap"]),
  })
  .openapi("LedgerPolicy");

export const PointValue = z
  .strictObject({ money: z.number().int().min(1).max(MAX_AMOUNT), points: z.number().int().min(1).max(1_000_000_000) })
  .openapi("PointValue", { description: "`points` points are worth `money` minor units: used by `worth` effects and liability figures." });

export const PayWithPointsSetting = z
  .strictObject({
    points: z.number().int().min(1).max(1_000_000_000),
    money: z.number().int().min(1).max(MAX_AMOUNT),
    minPoints: z.number().int().min(1).max(MAX_AMOUNT),
    maxPoints: z.number().int().min(1).max(MAX_AMOUNT),
    step: z.number().int().min(1).max(MAX_AMOUNT),
    validDays: z.number().int().min(1).max(365).default(1),
  })
  .refine((p) => p.minPoints <= p.maxPoints, "minPoints must be at most maxPoints")
  .refine((p) => p.minPoints % p.step === 0, "minPoints must be a multiple of step")
  .openapi("PayWithPoints", { description: "`points` points are `money` minor units off an order, spent in multiples of `step`, between `minPoints` and `maxPoints` per order." });

/** A percentage from 0 to 100 with at most two decimals: the core turns it into basis points exactly. */
const percentTwoDecimals = z.number().min(0).max(100).refine((p) => Math.abs(Math.round(p * 100) - p * 100) < 1e-6, "at most two decimals (12.5)");

export const MarginGuardSetting = z
  .strictObject({
    maxDiscountPercent: percentTwoDecimals.nullable().optional().openapi({ description: "The most all promotions on one cart may take off together, as a percentage of its merchandise." }),
    lineFloorPercent: percentTwoDecimals.nullable().optional().openapi({ description: "No line may be discounted below this percentage of its price." }),
  })
  .openapi("MarginGuard", { description: "A program-wide cap on stacked promotions. Null or absent: no cap." });

export const WalletPolicySetting = z
  .strictObject({
    payouts: z
      .strictObject({
        enabled: z.boolean().optional().openapi({ description: "Whether customers may ask for their cash balance to be paid out (default true)." }),
        minAmount: z.number().int().min(1).max(MAX_AMOUNT).optional().openapi({ description: "The smallest payout, minor units (default 1)." }),
        maxAmount: z.number().int().min(1).max(MAX_AMOUNT).nullable().optional().openapi({ description: "The largest single payout, minor units; null: no maximum (default)." }),
        holdDays: z.number().int().min(0).max(365).optional().openapi({ description: "Days every cash credit stays pending before it can be withdrawn or spent (default 0)." }),
      })
      .optional(),
    checkout: z
      .strictObject({ bonusMaxPercent: z.number().int().min(0).max(100).optional().openapi({ description: "The most of an order's total the bonus balance may pay, whole percent (default 100)." }) })
      .optional(),
  })
  .superRefine((w, ctx) => {
    const bad = checkWalletPolicy(w);
    if (bad) ctx.addIssue({ code: "custom", message: bad });
  })
  .openapi("WalletPolicy", { description: "Bonus and cash balances (docs/wallet.md). Fields left out take their defaults; null: every default." });

const locale = z.string().min(2).max(35).regex(/^[a-zA-Z]{2,3}(-[a-zA-Z0-9]{2,8})*$/, "a BCP 47 tag such as en or zh-CN");

export const ProgramSettings = z.strictObject({
  name: z.string().min(1).max(200),
  pointsSingular: z.string().min(1).max(50).optional(),
  pointsPlural: z.string().min(1).max(50).optional(),
  timeZone: z.string().min(1).max(64),
  defaultLocale: locale.optional(),
  supportedLocales: z.array(locale).min(1).max(50).optional(),
  defaultCountry: z.string().regex(/^[A-Z]{2}$/).nullable().optional(),
  earning: Earning.optional(),
  ledgerPolicy: LedgerPolicy.optional(),
  pointValue: PointValue.nullable().optional(),
  payWithPoints: PayWithPointsSetting.nullable().optional(),
  marginGuard: MarginGuardSetting.nullable().optional(),
  wallet: WalletPolicySetting.nullable().optional(),
});
export const ProgramCreate = ProgramSettings.extend({ currency: z.enum(Object.keys(CURRENCIES) as [keyof typeof CURRENCIES]) }).openapi("ProgramCreate");
export const ProgramPatch = ProgramSettings.partial().openapi("ProgramPatch");

export const Program = z
  .object({
    id: z.string(),
    name: z.string(),
    pointsSingular: z.string(),
    pointsPlural: z.string(),
    currency: z.string(),
    currencyMinorUnits: z.number().int(),
    timeZone: z.string(),
    defaultLocale: z.string(),
    supportedLocales: z.array(z.string()),
    defaultCountry: z.string().nullable().optional(),
    earning: Earning.optional(),
    ledgerPolicy: LedgerPolicy.optional(),
    pointValue: PointValue.nullable().optional(),
    payWithPoints: z.unknown().optional(),
    marginGuard: MarginGuardSetting.nullable().optional(),
    wallet: WalletPolicySetting.nullable().optional(),
    createdAt: z.string().optional(),
    updatedAt: z.string().optional(),
  })
  .openapi("Program");

export const Key = z
  .object({ id: z.string(), kind: z.enum(["secret", "publishable"]), name: z.string(), hint: z.string(), createdAt: z.string(), revokedAt: z.string().nullable(), secret: z.string().nullable().optional() })
  .openapi("ApiKey");
export const KeyCreate = z.strictObject({ kind: z.enum(["secret", "publishable"]), name: z.string().min(1).max(100) }).openapi("ApiKeyCreate");

const attributes = z
  .record(z.string().max(64), z.unknown())
  .refine((v) => Object.keys(v).length <= 64, "at most 64 attributes")
  .refine((v) => boundedJson(v, 16_384), "attributes must serialise to at most 16 KB of JSON, nested at most 32 levels");

export const CustomerFields = z
  .strictObject({
    email: z.email().max(254).nullable().optional(),
    phone: z.string().min(3).max(32).nullable().optional(),
    name: z.string().max(200).nullable().optional(),
    birthday: isoDate.nullable().optional(),
    locale: locale.nullable().optional(),
    timeZone: z.string().max(64).nullable().optional(),
    consent: z.strictObject({ email: z.boolean().optional(), sms: z.boolean().optional() }).optional(),
    attributes: attributes.optional(),
    tags: z.array(z.string().min(1).max(64)).max(50).optional(),
    status: z.enum(["active", "blocked"]).optional(),
  })
  .openapi("CustomerFields");

export const Customer = z
  .object({
    id: z.string().openapi({ example: "cus_01JD3Y6R5W9M2X8ZQ0B7T4K1AA" }),
    externalId: z.string().nullable(),
    email: z.string().nullable(),
    phone: z.string().nullable(),
    name: z.string().nullable(),
    birthday: z.string().nullable(),
    locale: z.string().nullable(),
    timeZone: z.string().nullable(),
    consent: z.object({ email: z.boolean(), sms: z.boolean() }),
    attributes: z.record(z.string(), z.unknown()),
    tags: z.array(z.string()),
    status: z.enum(["active", "blocked", "erased"]),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .openapi("Customer");

export const OrderLine = z
  .strictObject({
    sku: id,
    name: z.string().max(500).optional(),
    category: z.string().max(200).optional(),
    quantity: z.number().int().min(1).max(1_000_000),
    unitPrice: amount.openapi({ description: "Minor units per unit." }),
    weight: z.number().int().min(0).max(100_000_000).optional().openapi({ description: "Grams per unit." }),
    discount: amount.optional().openapi({ description: "Discount on the whole line, minor units." }),
  })
  .openapi("OrderLine");

const envelope = {
  id: id.openapi({ description: "Your id for this event. Sending it again has no further effect.", example: "evt-2026-000123" }),
  customerId: id.openapi({ description: "Your id of the customer. Unknown customers are created.", example: "shop-customer-42" }),
  occurredAt: businessTime.optional().openapi({ description: "When it happened (business time), between 1970 and 2999. Defaults to now." }),
};

export const Event = z
  .discriminatedUnion("type", [
    z.strictObject({
      ...envelope,
      type: z.literal("customer.signed_up"),
      data: CustomerFields.extend({
        referral: z
          .strictObject({
            code: z.string().min(1).max(40).optional().openapi({ description: "The referral code the customer typed." }),
            clickId: z.string().min(1).max(64).optional().openapi({ description: "The click id the referral link carried (first touch: it wins over a code)." }),
            address: z.string().max(500).optional(),
            device: z.string().max(200).optional(),
            ip: z.string().max(64).optional(),
          })
          .refine((r) => r.code !== undefined || r.clickId !== undefined, "give code or clickId")
          .optional()
          .openapi({ description: "Attributes this new customer to a referrer (docs/referrals.md); address, device and ip feed the self-referral checks with the profile's email and phone." }),
      }).default({}),
    }),
    z.strictObject({
      ...envelope,
      type: z.literal("order.completed"),
      data: z.strictObject({
        orderId: id,
        currency: z.string().regex(/^[A-Z]{3}$/, "an ISO 4217 code such as VND"),
        lines: z.array(OrderLine).min(1).max(500),
        discount: amount.optional(),
        shipping: amount.optional(),
        tax: amount.optional(),
        total: amount.optional().openapi({ description: "Checked against the total derived from the lines when given." }),
        channel: z.string().max(100).optional(),
        store: z.string().max(100).optional(),
        codes: z.array(z.string().min(1).max(64)).min(1).max(20).optional().openapi({ description: "Reward codes used on this order: they become used." }),
      })
      // Each field is bounded, their products and sums were not: 10^6 units at 10^12 is past 2^53 and
      // made the earning arithmetic throw (a 500). What the order adds up to is bounded like any amount.
      .refine((d) => linesTotal(d.lines) + (d.shipping ?? 0) + (d.tax ?? 0) <= MAX_AMOUNT, {
        message: `the lines, shipping and tax must add up to at most ${MAX_AMOUNT} minor units`,
        path: ["lines"],
      }),
    }),
    z.strictObject({
      ...envelope,
      type: z.literal("order.refunded"),
      data: z
        .strictObject({
          orderId: id,
          refundId: id,
          amount: amount.optional(),
          lines: z.array(z.strictObject({ sku: id, quantity: z.number().int().min(1).max(1_000_000) })).min(1).max(500).optional(),
        })
        .refine((d) => d.amount === undefined || d.lines === undefined, "give either amount or lines, not both"),
    }),
    z.strictObject({
      ...envelope,
      type: z.literal("custom"),
      name: z.string().min(1).max(100).regex(/^[a-z0-9_.:-]+$/i),
      data: z.record(z.string().max(64), z.unknown()).refine((v) => boundedJson(v, 16_384), "data must serialise to at most 16 KB, nested at most 32 levels").default({}),
    }),
    z.strictObject({ ...envelope, type: z.literal("customer.birthday"), data: z.strictObject({ on: z.enum(["day", "month_start"]).default("day") }).default({ on: "day" }) }),
    z.strictObject({
      ...envelope,
      type: z.literal("review.submitted"),
      data: z.strictObject({ reviewId: id, rating: z.number().int().min(1).max(5).optional(), sku: id.optional() }),
    }),
    z.strictObject({
      ...envelope,
      type: z.literal("social.followed"),
      data: z.strictObject({
        network: z.string().min(1).max(50).regex(/^[a-z0-9_.-]+$/, "lower-case, such as facebook or instagram"),
        action: z.enum(["follow", "like", "share", "subscribe"]).default("follow"),
        handle: z.string().max(100).optional(),
      }),
    }),
    z.strictObject({
      ...envelope,
      type: z.literal("wallet.topped_up"),
      data: z.strictObject({
        amount: amount.min(1).openapi({ description: "The top-up, in minor units of the program's currency." }),
        currency: z.string().regex(/^[A-Z]{3}$/, "an ISO 4217 code such as VND"),
        topUpId: id.optional().openapi({ description: "Your id of the top-up, kept with the event." }),
      }),
    }),
  ])
  .openapi("Event");

export const EventResult = z
  .object({
    id: z.string(),
    status: z.enum(["accepted", "rejected"]),
    replayed: z.boolean().optional(),
    eventId: z.string().optional(),
    type: z.string().optional(),
    customerId: z.string().optional(),
    effects: z.record(z.string(), z.unknown()).optional(),
    error: ErrorBody.optional(),
  })
  .openapi("EventResult");

export const Erase = z.strictObject({ reason: z.string().min(1).max(500), actor: z.string().min(1).max(200).optional() }).openapi("Erase");

/**
 * A whole-number query parameter (`limit`, `days`) with one message for every way to get it wrong:
 * zod's own said "received NaN" for a repeated parameter (it arrives as a list) or for text.
 */
export const queryInt = (min: number, max: number, fallback: number) => {
  const error = { error: `must be a whole number from ${min} to ${max}, given once` };
  return z.coerce.number(error).int(error).min(min, error).max(max, error).default(fallback);
};
export const limit = queryInt(1, 200, 50);
export const page = <T extends z.ZodTypeAny>(item: T, name: string) => z.object({ data: z.array(item), nextCursor: z.string().nullable() }).openapi(name);
