//! [`Variable`]: every environment variable the framework reads, in one table that drives
//! the enum, its names, the [`Environment`](super::Environment) snapshot and the table in
//! the documentation (kept in step by a test).

/// Writes [`Variable`] and its table from one list: for each variable its name, the part of
/// the framework that reads it, what it sets, its default, and whether its value is a
/// secret (never printed, not even in an error).
macro_rules! variables {
    ($(
        $(#[doc = $doc:literal])*
        $variant:ident = $name:literal, $area:literal, $default:literal, $secret:literal;
    )+) => {
        /// An environment variable the framework reads. Every one is read once, when the app
        /// is built (or, for the server's, when its [`Server`](crate::server::Server) is
        /// configured): see [`Environment`](super::Environment).
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        #[non_exhaustive]
        pub enum Variable {
            $($(#[doc = $doc])* $variant,)+
        }

        impl Variable {
            /// Every variable, in the order of the table.
            pub const ALL: &'static [Variable] = &[$(Variable::$variant),+];

            /// Its name in the environment, e.g. `CHATLAYER_DRAIN_DELAY`.
            pub const fn name(self) -> &'static str {
                match self { $(Variable::$variant => $name,)+ }
            }

            /// What it sets, in a sentence.
            pub fn meaning(self) -> &'static str {
                match self { $(Variable::$variant => concat!($($doc),+).trim_ascii(),)+ }
            }

            /// The part of the framework that reads it: `serving`, `security`, `logs`,
            /// `metrics`, `traces` or `recording`.
            pub const fn area(self) -> &'static str {
                match self { $(Variable::$variant => $area,)+ }
            }

            /// What applies when it is unset.
            pub const fn default_value(self) -> &'static str {
                match self { $(Variable::$variant => $default,)+ }
            }

            /// Whether its value is a secret, which no message shows.
            pub const fn is_secret(self) -> bool {
                match self { $(Variable::$variant => $secret,)+ }
            }
        }
    };
}

variables! {
    /// Where `serve` listens, `host:port` (e.g. `0.0.0.0:8080`).
    Addr = "CHATLAYER_ADDR", "serving", "`127.0.0.1:8080`", false;
    /// The port `serve` listens on, on every interface, when `CHATLAYER_ADDR` is unset (as
    /// container platforms set it).
    Port = "PORT", "serving", "unset", false;
    /// How long a server told to stop keeps serving (with `Connection: close`, `/readyz`
    /// failing) before it stops accepting: above the time a load balancer takes to notice.
    DrainDelay = "CHATLAYER_DRAIN_DELAY", "serving", "`1s`", false;
    /// How long the requests in flight may take to finish once the server stops accepting.
    ShutdownTimeout = "CHATLAYER_SHUTDOWN_TIMEOUT", "serving", "`20s`", false;
    /// How long a client may take to send a request's headers, and a connection may stay
    /// without a request (after accept or after its last answer) before it is closed.
    ReadTimeout = "CHATLAYER_READ_TIMEOUT", "serving", "`10s`", false;
    /// The Bearer token every caller must send (`Authorization: Bearer ...`).
    BearerToken = "CHATLAYER_BEARER_TOKEN", "security", "unset: no credentials", true;
    /// The Basic user name every caller must send, with `CHATLAYER_BASIC_PASSWORD`.
    BasicUser = "CHATLAYER_BASIC_USER", "security", "unset", false;
    /// The Basic password every caller must send, with `CHATLAYER_BASIC_USER`.
    BasicPassword = "CHATLAYER_BASIC_PASSWORD", "security", "unset", true;
    /// The shared secret of request signatures; setting it turns verification on.
    SignatureSecret = "CHATLAYER_SIGNATURE_SECRET", "security", "unset: no signatures", true;
    /// The header carrying the signature.
    SignatureHeader = "CHATLAYER_SIGNATURE_HEADER", "security", "`x-chatlayer-signature`", false;
    /// The signature's hash: `sha1`, `sha256` or `sha512`.
    SignatureAlgorithm = "CHATLAYER_SIGNATURE_ALGORITHM", "security", "`sha256`", false;
    /// How the MAC is written: `hex` or `base64`.
    SignatureEncoding = "CHATLAYER_SIGNATURE_ENCODING", "security", "`hex` (either is accepted)", false;
    /// Text before the MAC in the header, e.g. `sha256=`.
    SignaturePrefix = "CHATLAYER_SIGNATURE_PREFIX", "security", "none", false;
    /// The header carrying a signed timestamp (turns timestamps on).
    SignatureTimestampHeader = "CHATLAYER_SIGNATURE_TIMESTAMP_HEADER", "security", "unset: no timestamps", false;
    /// How far a signed timestamp may be from now (a duration, e.g. `5m`).
    SignatureWindow = "CHATLAYER_SIGNATURE_WINDOW", "security", "`5m`", false;
    /// What the signature covers: `body` (the raw body; a query string is then refused) or
    /// `request` (method, path and query, then the body).
    SignatureCovers = "CHATLAYER_SIGNATURE_COVERS", "security", "`body`", false;
    /// The networks allowed to call the steps: addresses and CIDR ranges, comma-separated,
    /// or `chatlayer-2022` for Chatlayer's published egress addresses.
    AllowIps = "CHATLAYER_ALLOW_IPS", "security", "unset: any address", false;
    /// The reverse proxies whose `X-Forwarded-For` is believed (addresses and ranges).
    TrustedProxies = "CHATLAYER_TRUSTED_PROXIES", "security", "none", false;
    /// Which lines the default logger writes, as `tracing`'s filter (e.g. `debug`,
    /// `info,chatlayer::access=off`).
    RustLog = "RUST_LOG", "logs", "`info`", false;
    /// The default logger's format: `text` or `json`.
    LogFormat = "CHATLAYER_LOG_FORMAT", "logs", "`text`", false;
    /// Whether the default logger also writes each request's span (`on` or `off`).
    LogSpans = "CHATLAYER_LOG_SPANS", "logs", "`off`", false;
    /// Set (to anything), the default logger writes no colours, even to a terminal.
    NoColor = "NO_COLOR", "logs", "unset: colours at a terminal", false;
    /// Whether every request leaves an access line at `info` (`on` or `off`).
    AccessLog = "CHATLAYER_ACCESS_LOG", "logs", "`on`", false;
    /// Whether the app counts its requests and serves `/metrics` (`on` or `off`).
    Metrics = "CHATLAYER_METRICS", "metrics", "`on`", false;
    /// The Bearer token a scraper must send to read `/metrics`.
    MetricsToken = "CHATLAYER_METRICS_TOKEN", "metrics", "unset: anyone who reaches the port", true;
    /// Where spans are exported over OTLP (with the `otel` feature), e.g.
    /// `http://collector:4318`.
    OtelEndpoint = "OTEL_EXPORTER_OTLP_ENDPOINT", "traces", "unset: no export", false;
    /// The same, for traces only (wins over `OTEL_EXPORTER_OTLP_ENDPOINT`).
    OtelTracesEndpoint = "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "traces", "unset", false;
    /// The service name exported spans carry.
    OtelServiceName = "OTEL_SERVICE_NAME", "traces", "the package name", false;
    /// The folder every answered request is recorded into; setting it turns recording on.
    Record = "CHATLAYER_RECORD", "recording", "unset: no recording", false;
    /// The most files recording writes into its folder.
    RecordMaxFiles = "CHATLAYER_RECORD_MAX_FILES", "recording", "`1000`", false;
    /// The most bytes recording writes into its folder.
    RecordMaxBytes = "CHATLAYER_RECORD_MAX_BYTES", "recording", "`104857600` (100 MiB)", false;
    /// The most memory copies of bodies take for recording, in bytes (served requests and
    /// those waiting to be written); an exchange that does not fit is not recorded.
    RecordMaxMemory = "CHATLAYER_RECORD_MAX_MEMORY", "recording", "`33554432` (32 MiB)", false;
    /// More names of headers and fields to redact, comma-separated.
    RecordRedact = "CHATLAYER_RECORD_REDACT", "recording", "none", false;
}

/// Names the framework once read that now mean nothing: set, they are reported with what
/// replaced them, rather than ignored.
pub(crate) const RENAMED: &[(&str, Variable, &str)] = &[(
    "CHATLAYER_SIGNATURE_WINDOW_SECS",
    Variable::SignatureWindow,
    "a duration with its unit, e.g. 300s or 5m",
)];

impl Variable {
    /// The table of every variable, in Markdown, as the documentation shows it.
    pub fn markdown_table() -> String {
        let mut table =
            String::from("| variable | read by | what it sets | unset |\n|---|---|---|---|\n");
        for variable in Variable::ALL {
            table.push_str(&format!(
                "| `{}` | {} | {} | {} |\n",
                variable.name(),
                variable.area(),
                variable
                    .meaning()
                    .split_whitespace()
                    .collect::<Vec<_>>()
                    .join(" "),
                variable.default_value()
            ));
        }
        table
    }
}

impl std::fmt::Display for Variable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}
