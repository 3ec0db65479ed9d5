"""The quickstart's POST /order as a FastAPI app, written the way FastAPI's docs teach:
a pydantic model for the body, a dict for the reply. Served by uvicorn (uvloop, httptools).
"""
from fastapi import FastAPI
from pydantic import BaseModel

CATALOG = {
    "A1": ("Red sneakers", 59.0),
    "B2": ("Blue raincoat", 89.5),
    "C3": ("Green scarf", 19.99),
}

app = FastAPI()


class Order(BaseModel):
    sku: str
    quantity: int = 1
    on_success: str
    on_failure: str


def text(message: str) -> list:
    return [{"type": "text", "config": {"textMessages": [{"text": message}]}}]


@app.post("/order")
async def order(params: Order) -> dict:
    product = CATALOG.get(params.sku)
    if product is None or params.quantity < 1:
        return {
            "messages": text("Sorry, we could not place that order."),
            "action": {"nextDialogstate": params.on_failure},
        }
    name, price = product
    total = price * params.quantity
    return {
        "session": {
            "namespace": "order",
            "data": {"quantity": params.quantity, "sku": params.sku, "total": total},
        },
        "messages": text(f"You ordered {params.quantity} x {name} for EUR {total:.2f}."),
        "action": {"nextDialogstate": params.on_success},
    }
