"""Reason codes of the azure-devops connector (azure-devops.*)."""

from __future__ import annotations

from checks.api import Outcome, reasons_of

reason = reasons_of("azure-devops")
FAILED = Outcome.FAILED

SIGN_IN_PAGE = reason(
    "azure-devops.sign_in_page", FAILED,
    "Azure DevOps answered 203 with a sign-in page instead of the API: the personal access "
    "token is wrong, expired or revoked (Azure DevOps does not say 401 for it).",
    "Create a new personal access token (User settings > Personal access tokens) and set it "
    "in CONNECTOR_AZURE_DEVOPS_TOKEN.")
NOT_AUTHORIZED = reason(
    "azure-devops.not_authorized", FAILED,
    "The token is not authorized for this resource (TF400813): a scope it lacks, or a "
    "permission the user lacks.",
    "Give the token the scope named, and the user access to the project.")
NOT_IN_ORGANIZATION = reason(
    "azure-devops.not_in_organization", FAILED,
    "The token's user is not authorized for the organization (VS30063).",
    "Add the user to the organization (Organization settings > Users), or create the token in "
    "this organization.")
CONDITIONAL_ACCESS = reason(
    "azure-devops.conditional_access", FAILED,
    "A Microsoft Entra conditional access or IP policy refused the request (VS403463): the "
    "address it came from is not allowed.",
    "Allow the vendor's egress addresses in the organization's conditional access policy (or "
    "IP allow list), or use a service principal exempted from it.")
NO_SUCH_PROJECT = reason(
    "azure-devops.no_such_project", FAILED,
    "No project has this name in the organization, or the user cannot see it (TF200016).",
    "Check the name given with --azure-devops-project and the user's access to the project.")
