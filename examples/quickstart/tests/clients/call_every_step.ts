// Calls every step of the running quickstart through openapi-fetch, typed by the types
// openapi-typescript generated from its document (`./schema.d.ts`), as a user of that client
// would; `tsc --strict` checks this file against those types first.
//
// Usage: node call_every_step.js BASE_URL. Exits non-zero, saying which step, on the first
// reply that is not what the step sends.

import createClient from "openapi-fetch";
import type { components, paths } from "./schema.js";

type Message = components["schemas"]["Message"];

function fail(step: string, what: unknown): never {
    console.error(`${step}: unexpected reply: ${JSON.stringify(what)}`);
    process.exit(1);
}

function expect(step: string, condition: boolean, what: unknown): void {
    if (!condition) {
        fail(step, what);
    }
}

/** The text of a `text` message: narrowing on `type` reaches its `config`. */
function textOf(message: Message | undefined): string | undefined {
    if (message?.type === "text") {
        return message.config.textMessages[0]?.text;
    }
    return undefined;
}

async function main(baseUrl: string): Promise<void> {
    const client = createClient<paths>({ baseUrl });

    const placed = await client.POST("/order", {
        body: { sku: "A1", quantity: 2, on_success: "done", on_failure: "failed" },
    });
    const order = placed.data ?? fail("/order", placed.error);
    expect("/order", order.session?.namespace === "order", order);
    expect("/order", order.session?.data["quantity"] === 2, order);
    expect("/order", order.action?.nextDialogstate === "done", order);
    expect("/order", textOf(order.messages?.[0])?.includes("Red sneakers") === true, order);

    const failed = await client.POST("/order", {
        body: { sku: "nope", on_success: "done", on_failure: "failed" },
    });
    expect("/order", failed.data?.action?.nextDialogstate === "failed", failed.data);

    const status = await client.GET("/order/status", { params: { query: { orderId: "A-1001" } } });
    expect("/order/status", status.data?.session?.data["id"] === "A-1001", status.data);

    const body = {
        amount: 5,
        destination: "Alice",
        accountType: "savings_account",
        transactionSuccess: "paid",
        transactionNoMoney: "broke",
    };
    const paid = await client.POST("/transaction", { body });
    expect("/transaction", paid.data?.session?.namespace === "account", paid.data);
    expect("/transaction", paid.data?.action?.nextDialogstate === "paid", paid.data);
    // A step without a fallback answers its errors as the typed error body.
    const refused = await client.POST("/transaction", { body: { ...body, accountType: "piggy_bank" } });
    expect(
        "/transaction",
        refused.response.status === 400 &&
            refused.error?.error.code === "bad_request" &&
            refused.error.error.parameter === "accountType",
        refused.error,
    );

    for (const [hour, block] of [[10, "open"], [22, "closed"]] as const) {
        const routed = await client.POST("/opening-hours", {
            body: { open: "open", closed: "closed", hour },
        });
        expect("/opening-hours", routed.data?.action?.nextDialogstate === block, routed.data);
    }

    const greeted = await client.POST("/welcome", { body: { language: "nl", sessionId: "s-1" } });
    expect("/welcome", textOf(greeted.data?.messages?.[0]) === "Welkom in onze winkel!", greeted.data);

    const shown: [string, Promise<{ data?: { messages?: Message[] } }>, Message["type"]][] = [
        ["/menu", client.POST("/menu", { body: { trackOrderBlock: "track" } }), "buttons"],
        ["/ask-size", client.POST("/ask-size", { body: { sizeChosen: "size" } }), "quickReplies"],
        ["/catalog", client.POST("/catalog", { body: { orderBlock: "order" } }), "carousel"],
        ["/product-media", client.POST("/product-media", { body: { sku: "A1", kind: "video" } }), "media"],
        ["/stores", client.POST("/stores"), "list"],
    ];
    for (const [step, reply, type] of shown) {
        const messages = (await reply).data?.messages ?? [];
        expect(step, messages.length === 1 && messages[0]?.type === type, messages);
    }
    const media = (await client.POST("/product-media", { body: { sku: "A1", kind: "video" } })).data;
    const first = media?.messages?.[0];
    expect("/product-media", first?.type === "media" && first.config.media.type === "video", media);

    console.log("every step answered as its document says");
}

main(process.argv[2] ?? fail("usage", "node call_every_step.js BASE_URL")).catch((error: unknown) =>
    fail("client", String(error)),
);
