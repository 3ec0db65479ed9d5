"""Calls every step of the running quickstart through the client openapi-python-client
generated from its document, as a user of that client would; `mypy --strict` checks this
file against the generated code first.

Usage: python call_every_step.py BASE_URL (the generated package `quickstart_client` on
PYTHONPATH). Exits non-zero, saying which step, on the first reply that is not what the
step sends.
"""

import sys
from typing import TypeVar

from quickstart_client import Client
from quickstart_client.api.bank import transaction
from quickstart_client.api.messages import (
    ask_size,
    catalog,
    menu,
    product_media,
    stores,
    welcome,
)
from quickstart_client.api.orders import order, order_status
from quickstart_client.api.routing import opening_hours
from quickstart_client.models import (
    AskSizeBody,
    ButtonsMessage,
    CarouselMessage,
    CatalogBody,
    ErrorBody,
    MediaChoice,
    MediaMessage,
    MenuBody,
    OpeningHoursBody,
    OrderBody,
    OtherMessage,
    ProductMediaBody,
    QuickRepliesMessage,
    TextMessage,
    TransactionBody,
    WelcomeBody,
)
from quickstart_client.types import Unset

T = TypeVar("T")


def expect(step: str, condition: bool, what: object) -> None:
    if not condition:
        sys.exit(f"{step}: unexpected reply: {what!r}")


def answered(step: str, reply: T | ErrorBody | None) -> T:
    """The step's reply, or exit: an error body, or a status the document does not list."""
    if reply is None or isinstance(reply, ErrorBody):
        sys.exit(f"{step}: no reply: {reply!r}")
    return reply


def main(base_url: str) -> None:
    client = Client(base_url=base_url, raise_on_unexpected_status=True)

    placed = answered(
        "/order",
        order.sync(client=client, body=OrderBody(sku="A1", quantity=2, on_success="done", on_failure="failed")),
    )
    expect("/order", not isinstance(placed.session, Unset) and placed.session.namespace == "order", placed)
    assert not isinstance(placed.session, Unset)
    expect("/order", placed.session.data["quantity"] == 2, placed.session)
    expect("/order", not isinstance(placed.action, Unset) and placed.action.next_dialogstate == "done", placed)
    messages = [] if isinstance(placed.messages, Unset) else placed.messages
    first = messages[0] if messages else None
    expect("/order", isinstance(first, TextMessage), messages)
    assert isinstance(first, TextMessage)
    expect("/order", "Red sneakers" in first.config.text_messages[0].text, first)

    # A failed order jumps to its fallback block, still a typed reply.
    failed = answered(
        "/order", order.sync(client=client, body=OrderBody(sku="nope", on_success="done", on_failure="failed"))
    )
    expect("/order", not isinstance(failed.action, Unset) and failed.action.next_dialogstate == "failed", failed)

    status = answered("/order/status", order_status.sync(client=client, order_id="A-1001"))
    expect("/order/status", not isinstance(status.session, Unset), status)
    assert not isinstance(status.session, Unset)
    expect("/order/status", status.session.data["id"] == "A-1001", status.session)

    paid = answered(
        "/transaction",
        transaction.sync(
            client=client,
            body=TransactionBody(
                amount=5.0,
                destination="Alice",
                account_type="savings_account",
                transaction_success="paid",
                transaction_no_money="broke",
            ),
        ),
    )
    expect("/transaction", not isinstance(paid.session, Unset) and paid.session.namespace == "account", paid)
    expect("/transaction", not isinstance(paid.action, Unset) and paid.action.next_dialogstate == "paid", paid)
    # A step without a fallback answers its errors as the typed error body.
    refused = transaction.sync(
        client=client,
        body=TransactionBody(
            amount=5.0,
            destination="Alice",
            account_type="piggy_bank",
            transaction_success="paid",
            transaction_no_money="broke",
        ),
    )
    expect(
        "/transaction",
        isinstance(refused, ErrorBody)
        and refused.error.code == "bad_request"
        and refused.error.parameter == "accountType",
        refused,
    )

    routed = answered(
        "/opening-hours",
        opening_hours.sync(client=client, body=OpeningHoursBody(open_="open", closed="closed", hour=10)),
    )
    expect("/opening-hours", not isinstance(routed.action, Unset) and routed.action.next_dialogstate == "open", routed)
    closed = answered(
        "/opening-hours",
        opening_hours.sync(client=client, body=OpeningHoursBody(open_="open", closed="closed", hour=22)),
    )
    expect("/opening-hours", not isinstance(closed.action, Unset) and closed.action.next_dialogstate == "closed", closed)

    greeted = answered("/welcome", welcome.sync(client=client, body=WelcomeBody(language="nl", session_id="s-1")))
    greeting = [] if isinstance(greeted.messages, Unset) else greeted.messages
    expect(
        "/welcome",
        len(greeting) == 1
        and isinstance(greeting[0], TextMessage)
        and greeting[0].config.text_messages[0].text == "Welkom in onze winkel!",
        greeting,
    )

    shown = {
        "/menu": (menu.sync(client=client, body=MenuBody(track_order_block="track")), ButtonsMessage),
        "/ask-size": (ask_size.sync(client=client, body=AskSizeBody(size_chosen="size")), QuickRepliesMessage),
        "/catalog": (catalog.sync(client=client, body=CatalogBody(order_block="order")), CarouselMessage),
        "/product-media": (
            product_media.sync(client=client, body=ProductMediaBody(sku="A1", kind=MediaChoice.VIDEO)),
            MediaMessage,
        ),
        "/stores": (stores.sync(client=client), OtherMessage),
    }
    for step, (reply, kind) in shown.items():
        got = answered(step, reply)
        sent = [] if isinstance(got.messages, Unset) else got.messages
        expect(step, len(sent) == 1 and isinstance(sent[0], kind), sent)

    print("every step answered as its document says")


if __name__ == "__main__":
    main(sys.argv[1])
