// The quickstart's POST /order as an Express 5 app, written the way Express's docs teach:
// the express.json() body parser and res.json(). Run with NODE_ENV=production.
const express = require("express");

const CATALOG = {
  A1: ["Red sneakers", 59.0],
  B2: ["Blue raincoat", 89.5],
  C3: ["Green scarf", 19.99],
};

const text = (message) => [{ type: "text", config: { textMessages: [{ text: message }] } }];

const app = express();
app.use(express.json());

app.post("/order", (req, res) => {
  const { sku, quantity = 1, on_success, on_failure } = req.body;
  const product = CATALOG[sku];
  if (!product || !(quantity >= 1)) {
    res.json({
      messages: text("Sorry, we could not place that order."),
      action: { nextDialogstate: on_failure },
    });
    return;
  }
  const [name, price] = product;
  const total = price * quantity;
  res.json({
    session: { namespace: "order", data: { quantity, sku, total } },
    messages: text(`You ordered ${quantity} x ${name} for EUR ${total.toFixed(2)}.`),
    action: { nextDialogstate: on_success },
  });
});

const [host, port] = (process.env.CHATLAYER_ADDR || "127.0.0.1:8083").split(":");
app.listen(Number(port), host, () => console.error(`express listening on http://${host}:${port}`));
