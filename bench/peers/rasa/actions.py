"""The quickstart's POST /order as a Rasa SDK custom action, the closest framework peer.

Rasa calls its action server with the conversation's tracker: the parameters arrive as slots,
the reply is a list of events (the order slot, the next action) and the messages to send.
Served by `python -m rasa_sdk --actions actions`.
"""
from typing import Any, Dict, List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher

CATALOG = {
    "A1": ("Red sneakers", 59.0),
    "B2": ("Blue raincoat", 89.5),
    "C3": ("Green scarf", 19.99),
}


class ActionOrder(Action):
    def name(self) -> Text:
        return "action_order"

    def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[Dict[Text, Any]]:
        sku = tracker.get_slot("sku")
        quantity = int(tracker.get_slot("quantity") or 1)
        product = CATALOG.get(sku)
        if product is None or quantity < 1:
            dispatcher.utter_message(text="Sorry, we could not place that order.")
            return [FollowupAction(tracker.get_slot("on_failure"))]
        name, price = product
        total = price * quantity
        dispatcher.utter_message(text=f"You ordered {quantity} x {name} for EUR {total:.2f}.")
        return [
            SlotSet("order", {"quantity": quantity, "sku": sku, "total": total}),
            FollowupAction(tracker.get_slot("on_success")),
        ]
