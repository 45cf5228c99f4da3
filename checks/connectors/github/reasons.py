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
