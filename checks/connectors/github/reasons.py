"""Reason codes of GitHub's connectors (ghes, github, github-app): registered with the rest
when the connector is loaded; docs/reasons.md lists them all."""

from __future__ import annotations

from checks.api import Outcome, reason

FAILED, WARNING = Outcome.FAILED, Outcome.WARNING

API_FOREIGN_LINKS = reason(
    "api.foreign_links", FAILED, "The API hands out links (in its answers' URLs or Link headers) to "
    "another host than the one the vendor uses: the server does not know its public name.",
    "Set the server's hostname to the public name (GHES: Management Console > Hostname), or "
    "have the reverse proxy rewrite the internal host in bodies and Link headers to the "
    "public one.")

API_HEADERS_STRIPPED = reason(
    "api.headers_stripped", FAILED, "Headers GitHub always sends are missing from its answers: "
    "something between this machine and the server (a reverse proxy, a WAF) removes them.",
    "Have the reverse proxy pass GitHub's response headers through unchanged (X-OAuth-Scopes, "
    "X-GitHub-Enterprise-Version, Link, X-RateLimit-*): the vendor reads them.")

SCOPES_UNVERIFIABLE = reason(
    "scopes.unverifiable", FAILED,
    "The token reports no scopes (X-OAuth-Scopes is absent): it is not a classic token.",
    "Create a classic personal access token with the listed scopes; fine-grained tokens cannot "
    "be given these scopes.")

ORG_NOT_OWNER = reason(
    "org.not_owner", WARNING,
    "The account is a member but not an owner of the organization: webhooks will not be "
    "available, everything else will.",
    "Make the service account an owner of the organization to enable webhooks.")

ORG_NOT_MEMBER = reason(
    "org.not_member", FAILED, "The account is not a member of the organization (or it does not exist).",
    "Add the service account to the organization as an owner, and check the organization's name.")

ORG_PENDING = reason(
    "org.pending", FAILED, "The account was invited to the organization but has not accepted.",
    "Accept the invitation as the service account (the organization's page shows it).")

ORG_FORBIDDEN = reason(
    "org.forbidden", FAILED, "The server refused to show the account's membership (403).",
    "Read the message in the evidence; the token needs read:org (admin:org includes it).")

OAUTH_INVALID_CLIENT = reason(
    "oauth.invalid_client", FAILED, "The OAuth client id or client secret is wrong.",
    "Copy the Client ID and a new Client secret from the OAuth app's page "
    "(Settings > Developer settings > OAuth Apps) into the environment variables.")

OAUTH_INCOMPLETE = reason(
    "oauth.incomplete", FAILED, "Only one of the OAuth client id and client secret is set.",
    "Set both variables named in the message, or neither to skip the OAuth check.")

OAUTH_UNEXPECTED = reason(
    "oauth.unexpected", FAILED, "The OAuth token endpoint answered with an error this check cannot place.",
    "Read the error in the evidence; check that OAuth apps are enabled on the server.")

GITHUB_ENTERPRISE_SERVER_UNSUPPORTED = reason(
    "github.enterprise_server_unsupported", FAILED,
    "The target is GitHub Enterprise Server, which this connector does not support.",
    "Use a github.com or GitHub Enterprise Cloud account, or check the server with "
    "--connector ghes.")

GITHUB_NOT_GITHUB = reason(
    "github.not_github", FAILED, "The target does not answer as GitHub's cloud API.",
    "Leave --target out for github.com, or give the GitHub Enterprise Cloud URL.")

AUTH_LOCKED_OUT = reason(
    "auth.locked_out", FAILED, "GitHub locked the account out after too many failed logins (403).",
    "Wait before trying again, then check the token: repeated bad credentials cause the lockout.")

AUTH_SSO_REQUIRED = reason(
    "auth.sso_required", FAILED,
    "The token is not authorized for the organization's SAML single sign-on.",
    "Authorize the token for SSO: open the URL in the message (or Settings > Developer settings "
    "> Personal access tokens > Configure SSO > Authorize).")

AUTH_IP_ALLOW_LIST = reason(
    "auth.ip_allow_list", FAILED,
    "GitHub refused the request (403): the organization (or enterprise) has an IP allow list "
    "enabled and the address the request came from is not on it; the credentials are fine.",
    "Add the vendor's egress IP addresses to the organization's IP allow list (Organization "
    "settings > Authentication security > IP allow list), or to the enterprise's (Enterprise "
    "settings > Settings > Authentication security) when the enterprise enforces it. For a "
    "GitHub App, the owner may instead enable 'Allow access by GitHub Apps' so the app's own "
    "list applies. This machine's address matters only when it is where the vendor connects "
    "from: confirm from the vendor's side.")

SCOPES_PERMISSION_MISSING = reason(
    "scopes.permission_missing", FAILED, "A fine-grained token cannot use an endpoint the connector "
    "needs: GitHub names the permission it asks for.",
    "Edit the token: grant the named repository permission for this repository.")

APP_NOT_CHECKED = reason(
    "app.not_checked", WARNING, "More installations are listed than --max-installations: those past "
    "it were counted and named, not checked one by one.",
    "Nothing, if the first ones stand for the rest; to check them all, run again with "
    "--max-installations N.")

APP_PRIVATE_KEY_NEEDED = reason(
    "app.private_key_needed", FAILED, "The key given is not an RSA private key (an EC or Ed25519 key, "
    "a public key or a certificate).",
    "Generate a private key on the app's settings page (Private keys > Generate a private key) and "
    "give the whole .pem file it downloads.")

APP_PRIVATE_KEY_ENCRYPTED = reason(
    "app.private_key_encrypted", FAILED, "The private key is protected by a passphrase.",
    "Give the key as GitHub generated it, unencrypted (`openssl pkey -in key.pem -out plain.pem` "
    "removes a passphrase).")

APP_PRIVATE_KEY_INVALID = reason(
    "app.private_key_invalid", FAILED, "The private key is not PEM text that can be read.",
    "Give the .pem file GitHub generated, from -----BEGIN to -----END, as a file "
    "(CONNECTOR_GITHUB_APP_PRIVATE_KEY_FILE) or as the variable's value.")

APP_PRIVATE_KEY_WEAK = reason(
    "app.private_key_weak", WARNING, "The RSA private key is shorter than 2048 bits.",
    "Generate a new private key on the app's settings page; GitHub makes 2048-bit keys.")

APP_CLOCK_SKEW = reason(
    "app.clock_skew", FAILED,
    "This machine's clock differs from GitHub's: JWTs made here are (or soon will be) rejected.",
    "Synchronise the clock with NTP (`timedatectl set-ntp true`, or chrony).", also=WARNING)

APP_INVALID_CREDENTIALS = reason(
    "app.invalid_credentials", FAILED, "GitHub cannot decode the JWT: the private key does not "
    "belong to this app id.",
    "Check the app id (or client id) and give a private key generated for that app; compare the "
    "key's fingerprint with the list on the app's settings page.")

APP_UNKNOWN_APP = reason(
    "app.unknown_app", FAILED, "GitHub knows no app with this id (404).",
    "Copy the App ID (or Client ID) from the top of the app's settings page.")

APP_NOT_INSTALLED = reason(
    "app.not_installed", FAILED, "The app is not installed to any GitHub organization or account.",
    "Install the app: its settings page > Install App > Install, beside your organization.")

APP_SUSPENDED = reason(
    "app.suspended", FAILED, "The app's installation is suspended.",
    "An organization owner unsuspends it: organization Settings > GitHub Apps > Configure > "
    "Unsuspend.")

APP_PERMISSION_MISSING = reason(
    "app.permission_missing", FAILED, "The installation lacks a permission the vendor needs.",
    "Grant it on the app's settings page (Permissions & events), then have an organization "
    "owner accept the new permissions on the installation.")

APP_EXCESS_PERMISSION = reason(
    "app.excess_permission", WARNING, "The installation has a permission the vendor does not need.",
    "Remove it from the app's permissions (least privilege): the vendor only reads.")

APP_NO_RESOURCES = reason(
    "app.no_resources", FAILED, "The installation cannot access any repository.",
    "Select repositories for the installation: organization Settings > GitHub Apps > Configure > "
    "Repository access.")

APP_TOKEN_REFUSED = reason(
    "app.token_refused", FAILED, "GitHub refused to mint an installation access token.",
    "Read GitHub's message in the evidence; the installation may be suspended or removed.")

APP_ENDPOINT_FORBIDDEN = reason(
    "app.endpoint_forbidden", FAILED, "An API endpoint the vendor reads answers 403 or 404 to the app.",
    "Grant the permission GitHub names (X-Accepted-GitHub-Permissions) and accept it on the "
    "installation; check that the repository is selected for the installation.")

# -- webhooks: GitHub posting to the vendor (checks.connectors.github.webhooks) --------------
_DELIVERY = ("Find it in the hook's Recent Deliveries (Settings > Webhooks > the hook), fix the "
             "cause, then redeliver a failed delivery from there. ")

WEBHOOK_HOOKS_HIDDEN = reason(
    "webhook.hooks_hidden", FAILED, "GitHub refuses to list the webhooks (403 or 404): the "
    "token lacks the hook scope, or the account lacks the role that sees them.",
    "Give the token admin:org_hook (organization webhooks) or admin:repo_hook (repository "
    "webhooks), and make the service account an organization owner (repository admin).")
WEBHOOK_MISSING = reason(
    "webhook.missing", FAILED, "None of the webhooks delivers to the vendor's URL: the vendor "
    "receives no events from the code host.",
    "Let the vendor create its webhook: its guide says it does so once the account is an "
    "organization owner and a repository is imported (import one in the vendor's app, or "
    "reconnect); or add the webhook with the URL the vendor documents. Check the URL this "
    "run looked for (--ghes-webhook-url, --github-webhook-url, or the profile's).")
WEBHOOK_INACTIVE = reason(
    "webhook.inactive", FAILED, "The vendor's webhook exists but is not active: GitHub sends it "
    "nothing.",
    "Tick Active on the webhook (Settings > Webhooks > the hook > Active), or let the vendor "
    "recreate it.")
WEBHOOK_EVENTS_MISSING = reason(
    "webhook.events_missing", FAILED, "The vendor's webhook is not subscribed to events the "
    "vendor needs.",
    "Select the missing events on the webhook (Let me select individual events), or let the "
    "vendor recreate it.")
WEBHOOK_CONTENT_TYPE = reason(
    "webhook.content_type", FAILED, "The vendor's webhook sends another payload format than the "
    "vendor reads.",
    "Set the webhook's Content type to the one the message names.")
WEBHOOK_TLS_UNVERIFIED = reason(
    "webhook.tls_unverified", WARNING, "The vendor's webhook has SSL verification disabled: "
    "deliveries go to whoever answers for the vendor's host, certificate unchecked.",
    "Enable SSL verification on the webhook. If deliveries then fail with a certificate "
    "error, add the CA the code host must trust (GHES: ghe-ssl-ca-certificate-install) "
    "rather than disabling verification.")
WEBHOOK_NO_SECRET = reason(
    "webhook.no_secret", WARNING, "The vendor's webhook has no secret: its deliveries are not "
    "signed (X-Hub-Signature-256), so the vendor cannot tell them from forged ones.",
    "Set the secret the vendor gives you on the webhook (or let the vendor recreate it).")
WEBHOOK_NO_DELIVERIES = reason(
    "webhook.no_deliveries", WARNING, "GitHub has no recent delivery of the vendor's webhook: "
    "nothing shows that deliveries reach the vendor.",
    "Trigger an event the hook is subscribed to (or run with --ping-webhooks) and run again.")
WEBHOOK_DELIVERIES_INTERMITTENT = reason(
    "webhook.deliveries_intermittent", WARNING, "Some recent deliveries failed, though the "
    "newest succeeded: events were lost in between.",
    _DELIVERY + "Redeliver the failed ones so the vendor's data has no gap.")
WEBHOOK_DELIVERY_TIMEOUT = reason(
    "webhook.delivery_timeout", FAILED, "The newest delivery timed out: GitHub got no answer "
    "from the vendor's URL in time (10 s on github.com, 30 s on GHES).",
    _DELIVERY + "A delivery that never connects times out too: check the code host's outbound "
    "firewall to the vendor's host on port 443 and, on GHES, its HTTP proxy setting "
    "(Management Console > Privacy); if the vendor answers slowly, tell the vendor.")
WEBHOOK_DELIVERY_UNREACHABLE = reason(
    "webhook.delivery_unreachable", FAILED, "The newest delivery could not connect to the "
    "vendor's host (\"failed to connect to host\"): its name did not resolve from the code "
    "host, or a network restriction stopped it.",
    _DELIVERY + "From the code host, resolve the vendor's host (nslookup) and check its "
    "outbound firewall rules and, on GHES, its DNS servers and HTTP proxy setting.")
WEBHOOK_DELIVERY_REFUSED = reason(
    "webhook.delivery_refused", FAILED, "The newest delivery's connection was refused "
    "(\"failed to connect to network\").",
    _DELIVERY + "The vendor's endpoint, or a firewall on the way, refused the code host's "
    "address: ask the vendor which addresses it accepts webhooks from, and check the code "
    "host's egress address.")
WEBHOOK_DELIVERY_UNTRUSTED = reason(
    "webhook.delivery_untrusted_certificate", FAILED, "The newest delivery failed on the "
    "vendor's certificate: the code host does not trust it (\"Peer certificate cannot be "
    "authenticated with given CA certificates\").",
    _DELIVERY + "A TLS-inspecting proxy on the code host's way out is the usual cause: exempt "
    "the vendor's host from inspection, or add the proxy's CA to the code host's trust store "
    "(GHES: ghe-ssl-ca-certificate-install). This is the code host's trust store, not the "
    "vendor's: the inbound TLS checks do not cover it.")
WEBHOOK_DELIVERY_PROXY = reason(
    "webhook.delivery_proxy_refused", FAILED, "The newest delivery was refused by an HTTP "
    "proxy on the code host's way out (407).",
    _DELIVERY + "Let the code host's outbound proxy pass the vendor's host (GHES: Management "
    "Console > Privacy > HTTP Proxy Server, and its exclusions).")
WEBHOOK_DELIVERY_VENDOR_ERROR = reason(
    "webhook.delivery_vendor_error", FAILED, "The newest delivery reached the vendor, whose "
    "endpoint answered with a server error (5xx).",
    _DELIVERY + "The code host's side works: report the failing delivery (its time and GUID) "
    "to the vendor.")
WEBHOOK_DELIVERY_REJECTED = reason(
    "webhook.delivery_rejected", FAILED, "The newest delivery reached the vendor, whose "
    "endpoint rejected it (4xx): a wrong URL, or a secret the vendor does not accept.",
    _DELIVERY + "Compare the webhook's URL and secret with the vendor's, or let the vendor "
    "recreate the webhook.")
WEBHOOK_DELIVERY_FAILED = reason(
    "webhook.delivery_failed", FAILED, "The newest delivery failed for a reason GitHub names "
    "in the message.", _DELIVERY)
WEBHOOK_PING_UNSEEN = reason(
    "webhook.ping_unseen", WARNING, "The ping was sent, but its delivery did not show in the "
    "hook's log while the run waited.",
    "Look at the hook's Recent Deliveries in a minute; run again with a longer --run-timeout "
    "if deliveries are slow to appear.")
