//! [`IpAllowList`]: only callers from given networks reach the steps.

use std::net::{IpAddr, SocketAddr};

use axum::http::HeaderMap;
use ipnet::IpNet;

use crate::config::{Environment, InvalidVariable, Variable};
use crate::error::{ErrorCode, StepError};

/// Chatlayer's egress addresses as its documentation published them in 2022 (EU, US and
/// Asia regions). **They may have changed since**: check Chatlayer's "SaaS regions and IP
/// ranges" page before relying on them.
pub const CHATLAYER_EGRESS_2022: [&str; 15] = [
    // EU (europe-west1)
    "34.78.158.115/32",
    "23.251.136.162/32",
    "34.140.169.192/32",
    "34.76.255.244/32",
    "34.140.104.91/32",
    // US (us-east4)
    "35.236.193.49/32",
    "35.245.212.205/32",
    "34.145.223.151/32",
    "34.85.204.75/32",
    "35.245.164.149/32",
    // Asia (asia-south1)
    "35.244.41.108/32",
    "34.93.181.152/32",
    "34.93.184.224/32",
    "35.244.23.10/32",
    "34.93.140.182/32",
];

/// Lets only callers from the listed networks reach the steps; others get a JSON 403
/// (`forbidden_ip`) and the step does not run.
///
/// The caller is the TCP peer. Behind a reverse proxy or load balancer, declare it with
/// [`trust_proxies`](Self::trust_proxies): then, and only for requests that come from it,
/// the caller is read from `X-Forwarded-For` (the right-most address that is not a trusted
/// proxy), so a client cannot pick its own address by sending the header itself.
///
/// ```
/// use chatlayer_runtime::security::IpAllowList;
///
/// let list = IpAllowList::new(["10.0.0.0/8", "192.168.1.7"]).unwrap()
///     .trust_proxies(["10.1.2.3/32"]).unwrap();
/// let chatlayer = IpAllowList::chatlayer_egress_2022(); // possibly outdated: see the docs
/// assert!(IpAllowList::new(["10.0.0.0/33"]).unwrap_err().contains("10.0.0.0/33"));
/// # let _ = (list, chatlayer);
/// ```
#[derive(Clone, Debug)]
pub struct IpAllowList {
    allowed: Vec<IpNet>,
    trusted_proxies: Vec<IpNet>,
}

impl IpAllowList {
    /// Allows these networks (`10.0.0.0/8`, `2001:db8::/32`) and single addresses
    /// (`192.168.1.7`). The error names the entry that is neither.
    pub fn new<I, S>(networks: I) -> Result<Self, String>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        Ok(IpAllowList {
            allowed: parse_all(networks)?,
            trusted_proxies: Vec::new(),
        })
    }

    /// Allows Chatlayer's egress addresses as published in 2022 ([`CHATLAYER_EGRESS_2022`]):
    /// possibly outdated, so check them against Chatlayer's current documentation.
    pub fn chatlayer_egress_2022() -> Self {
        IpAllowList::new(CHATLAYER_EGRESS_2022).expect("the preset is valid")
    }

    /// Also allows these networks.
    pub fn allow<I, S>(mut self, networks: I) -> Result<Self, String>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        self.allowed.extend(parse_all(networks)?);
        Ok(self)
    }

    /// The reverse proxies in front of the server, whose `X-Forwarded-For` is believed.
    pub fn trust_proxies<I, S>(mut self, networks: I) -> Result<Self, String>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        self.trusted_proxies.extend(parse_all(networks)?);
        Ok(self)
    }

    /// What an app reads from the environment when it is built: `CHATLAYER_ALLOW_IPS`
    /// (comma-separated networks; the word `chatlayer-2022` adds the
    /// [`CHATLAYER_EGRESS_2022`] preset) and `CHATLAYER_TRUSTED_PROXIES`; `Ok(None)` when
    /// `CHATLAYER_ALLOW_IPS` is unset.
    pub fn from_env() -> Result<Option<Self>, InvalidVariable> {
        IpAllowList::from_environment(&Environment::process())
    }

    /// The same, from `env`.
    pub fn from_environment(env: &Environment) -> Result<Option<Self>, InvalidVariable> {
        let Some(allowed) = env.get(Variable::AllowIps) else {
            return Ok(None);
        };
        fn invalid(variable: Variable, value: &str) -> impl FnOnce(String) -> InvalidVariable {
            move |error| InvalidVariable::new(variable, value, error)
        }
        let mut list = IpAllowList::new(std::iter::empty::<&str>())
            .map_err(invalid(Variable::AllowIps, allowed))?;
        for entry in env.list(Variable::AllowIps) {
            list = if entry.eq_ignore_ascii_case("chatlayer-2022") {
                list.allow(CHATLAYER_EGRESS_2022)
            } else {
                list.allow([entry.as_str()])
            }
            .map_err(invalid(Variable::AllowIps, allowed))?;
        }
        if let Some(proxies) = env.get(Variable::TrustedProxies) {
            list = list
                .trust_proxies(env.list(Variable::TrustedProxies))
                .map_err(invalid(Variable::TrustedProxies, proxies))?;
        }
        Ok(Some(list))
    }

    /// The caller's address: the peer, or for a trusted proxy the right-most untrusted
    /// address of `X-Forwarded-For`.
    pub(crate) fn caller(&self, peer: IpAddr, headers: &HeaderMap) -> IpAddr {
        if !contains(&self.trusted_proxies, peer) {
            return peer;
        }
        let forwarded = headers
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|value| value.to_str().ok())
            .flat_map(|value| value.split(','))
            .filter_map(|entry| entry.trim().parse::<IpAddr>().ok())
            .collect::<Vec<_>>();
        forwarded
            .into_iter()
            .rev()
            .find(|address| !contains(&self.trusted_proxies, *address))
            .unwrap_or(peer)
    }

    /// Admits or refuses a request from `peer`.
    pub(crate) fn check(
        &self,
        peer: Option<SocketAddr>,
        headers: &HeaderMap,
    ) -> Result<(), StepError> {
        let Some(peer) = peer else {
            return Err(StepError::of(
                ErrorCode::ForbiddenIp,
                "the caller's address is unknown, so the IP allow-list refuses the request",
            )
            .with_hint(
                "an embedding app must serve with \
                 `into_make_service_with_connect_info::<SocketAddr>()`",
            ));
        };
        let caller = self.caller(canonical(peer.ip()), headers);
        if contains(&self.allowed, canonical(caller)) {
            Ok(())
        } else {
            Err(StepError::of(
                ErrorCode::ForbiddenIp,
                format!("{caller} is not on this server's IP allow-list"),
            ))
        }
    }
}

/// `::ffff:1.2.3.4` (an IPv4 client on an IPv6 socket) is `1.2.3.4`.
fn canonical(address: IpAddr) -> IpAddr {
    match address {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(IpAddr::V6(v6), IpAddr::V4),
        v4 => v4,
    }
}

fn contains(networks: &[IpNet], address: IpAddr) -> bool {
    networks.iter().any(|network| network.contains(&address))
}

fn parse_all<I, S>(networks: I) -> Result<Vec<IpNet>, String>
where
    I: IntoIterator<Item = S>,
    S: AsRef<str>,
{
    networks
        .into_iter()
        .map(|entry| {
            let entry = entry.as_ref().trim();
            entry
                .parse::<IpNet>()
                .or_else(|_| entry.parse::<IpAddr>().map(IpNet::from))
                .map_err(|_| format!("`{entry}` is neither a network (10.0.0.0/8) nor an address"))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn forwarded(value: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert("x-forwarded-for", HeaderValue::from_str(value).unwrap());
        headers
    }

    fn peer(address: &str) -> Option<SocketAddr> {
        Some(SocketAddr::new(address.parse().unwrap(), 40000))
    }

    #[test]
    fn only_listed_networks_pass() {
        let list = IpAllowList::new(["10.0.0.0/8", "192.168.1.7", "2001:db8::/32"]).unwrap();
        for allowed in [
            "10.200.3.4",
            "192.168.1.7",
            "2001:db8::1",
            "::ffff:10.0.0.1",
        ] {
            assert!(
                list.check(peer(allowed), &HeaderMap::new()).is_ok(),
                "{allowed}"
            );
        }
        for refused in ["11.0.0.1", "192.168.1.8", "2001:db9::1"] {
            let error = list.check(peer(refused), &HeaderMap::new()).unwrap_err();
            assert_eq!((error.status(), error.code()), (403, "forbidden_ip"));
        }
        assert!(list.check(None, &HeaderMap::new()).is_err());
    }

    #[test]
    fn forwarded_for_counts_only_behind_a_trusted_proxy() {
        let list = IpAllowList::new(["34.78.158.115"])
            .unwrap()
            .trust_proxies(["10.0.0.0/8"])
            .unwrap();
        // Through the proxy: the client is the right-most untrusted address.
        assert!(
            list.check(peer("10.0.0.2"), &forwarded("34.78.158.115"))
                .is_ok()
        );
        assert!(
            list.check(
                peer("10.0.0.2"),
                &forwarded("6.6.6.6, 34.78.158.115, 10.0.0.9")
            )
            .is_ok()
        );
        // A spoofed left-most entry does not help.
        assert!(
            list.check(peer("10.0.0.2"), &forwarded("34.78.158.115, 6.6.6.6"))
                .is_err()
        );
        // Not from the proxy: the header is ignored.
        assert!(
            list.check(peer("6.6.6.6"), &forwarded("34.78.158.115"))
                .is_err()
        );
    }

    #[test]
    fn the_preset_has_every_published_address() {
        let list = IpAllowList::chatlayer_egress_2022();
        assert_eq!(list.allowed.len(), 15);
        assert!(list.check(peer("35.244.41.108"), &HeaderMap::new()).is_ok());
    }
}
