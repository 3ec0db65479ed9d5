//! The shop's pretend back office: a catalog, a bank and a parcel tracker. A real backend
//! would call its databases and services here; the steps only see these types through
//! `Dep<T>`.

use std::collections::HashMap;

/// A product the shop sells.
#[derive(Clone, Debug)]
pub struct Product {
    pub sku: &'static str,
    pub name: &'static str,
    pub price: f64,
    pub image_url: &'static str,
    pub video_url: &'static str,
}

/// The products, by SKU. Read-only, so every request reads it without locking.
#[derive(Debug)]
pub struct Catalog {
    products: HashMap<&'static str, Product>,
}

impl Catalog {
    /// The demo catalog.
    pub fn demo() -> Self {
        let products = [
            ("A1", "Red sneakers", 59.0),
            ("B2", "Blue raincoat", 89.5),
            ("C3", "Green scarf", 19.99),
        ]
        .map(|(sku, name, price)| Product {
            sku,
            name,
            price,
            image_url: "https://shop.example.com/img/product.jpg",
            video_url: "https://shop.example.com/video/product.mp4",
        });
        Catalog {
            products: products.into_iter().map(|p| (p.sku, p)).collect(),
        }
    }

    pub fn get(&self, sku: &str) -> Option<&Product> {
        self.products.get(sku)
    }

    /// The products, sorted by SKU.
    pub fn all(&self) -> Vec<&Product> {
        let mut products: Vec<&Product> = self.products.values().collect();
        products.sort_by_key(|product| product.sku);
        products
    }
}

/// Why a transfer was refused.
#[derive(Debug, PartialEq)]
pub enum TransferError {
    /// The amount is over what the account may send.
    NoMoney { limit: f64 },
    /// The bank has no such account type.
    UnknownAccount,
}

/// A bank with a transfer limit per account type (the contract's money-transfer example).
#[derive(Debug)]
pub struct Bank {
    limits: HashMap<&'static str, f64>,
}

impl Bank {
    pub fn demo() -> Self {
        Bank {
            limits: [("savings_account", 1000.0), ("checking_account", 2500.0)].into(),
        }
    }

    /// Sends `amount` from an account of `account_type`; returns the limit left.
    pub async fn transfer(
        &self,
        account_type: &str,
        amount: f64,
        _destination: &str,
    ) -> Result<f64, TransferError> {
        let limit = *self
            .limits
            .get(account_type)
            .ok_or(TransferError::UnknownAccount)?;
        if amount > limit {
            return Err(TransferError::NoMoney { limit });
        }
        Ok(limit - amount)
    }
}

/// Where a parcel is.
#[derive(Debug)]
pub struct Shipping;

impl Shipping {
    /// The status of order `order_id`: derived from the id, so the demo needs no database.
    pub fn status(&self, order_id: &str) -> Option<&'static str> {
        if order_id.is_empty()
            || !order_id
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-')
        {
            return None;
        }
        let statuses = ["placed", "packed", "shipped", "delivered"];
        let index = order_id.bytes().map(usize::from).sum::<usize>() % statuses.len();
        Some(statuses[index])
    }
}
