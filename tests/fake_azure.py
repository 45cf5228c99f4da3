"""A loopback Azure DevOps REST API, following Microsoft's REST reference
(learn.microsoft.com/rest/api/azure/devops/): _apis/connectionData (anonymous without
credentials), a PAT with Basic auth (empty user name), a wrong PAT answered 203 with a
sign-in page as Azure DevOps Services does, error bodies {"$id", "innerException",
"message", "typeName", "typeKey", "errorCode", "eventId"} with their TF/VS codes, projects,
git repositories, work item types and build definitions, each refused TF400813 without the
scope that reads it; the X-VSS-E2EID and ActivityId headers on every answer."""

from __future__ import annotations

import base64
import uuid
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import unquote, urlsplit

from checks.connectors.azure.platform import GRANTS
from tests.servers import JsonHandler

ANONYMOUS = "aa442a3f-ea8b-4a43-8f7c-2a3d2d7b1e48"
SCOPE_OF = {"git/repositories": "vso.code", "wit/workitemtypes": "vso.work",
            "build/definitions": "vso.build", "projects": "vso.project",
            "hooks/subscriptions": "vso.hooks"}


@dataclass
class AzurePat:
    user: str = "Flow Service"
    account: str = "flow-service@acme.example"
    scopes: set[str] = field(default_factory=lambda: {"vso.code", "vso.project"})
    refusal: str | None = None  # a code every request is refused with: VS30063, VS403463


@dataclass
class AzureWorld:
    prefix: str = "/acme"  # the organization (dev.azure.com/ORG) or /tfs/COLLECTION
    deployment: str = "hosted"
    projects: dict[str, str] = field(default_factory=lambda: {"Fabrikam": "wellFormed"})
    pats: dict[str, AzurePat] = field(default_factory=dict)

    def granted(self, pat: AzurePat) -> set[str]:
        found, todo = set(), list(pat.scopes)
        while todo:
            one = todo.pop()
            if one not in found:
                found.add(one)
                todo += GRANTS.get(one, ())
        return found


def _error(message: str, type_key: str) -> dict[str, Any]:
    return {"$id": "1", "innerException": None, "message": message,
            "typeName": f"Microsoft.VisualStudio.Services.WebApi.{type_key}, "
                        f"Microsoft.VisualStudio.Services.WebApi",
            "typeKey": type_key, "errorCode": 0, "eventId": 3000}


def azure_handler(world: AzureWorld) -> type[BaseHTTPRequestHandler]:
    class Handler(JsonHandler):
        server_version = ""
        media: dict[str, str] = {}

        def do_GET(self) -> None:
            self.always = {"X-VSS-E2EID": str(uuid.uuid4()), "ActivityId": str(uuid.uuid4())}
            parts = urlsplit(self.path)
            path = unquote(parts.path)
            if not path.startswith(f"{world.prefix}/"):
                return self.reply(404, _error("Page not found.", "NotFoundException"))
            path = path.removeprefix(world.prefix)
            scheme, _, value = self.headers.get("Authorization", "").partition(" ")
            pat = None
            if scheme == "Basic":
                user, _, secret = base64.b64decode(value).decode().partition(":")
                pat = world.pats.get(secret)
                if pat is None:  # a wrong PAT: Services answers with its sign-in page
                    return self.reply(203, "<html><head><title>Azure DevOps Services | Sign "
                                           "In</title></head><body></body></html>",
                                      content_type="text/html; charset=utf-8")
            if pat is not None and pat.refusal == "VS30063":
                return self.reply(401, _error(f"VS30063: You are not authorized to access "
                                              f"https://dev.azure.com{world.prefix}.",
                                              "UnauthorizedRequestException"))
            if pat is not None and pat.refusal == "VS403463":
                return self.reply(401, _error("VS403463: The conditional access policy "
                                              "defined by your Azure Active Directory "
                                              "administrator has failed.",
                                              "UnauthorizedRequestException"))
            if path == "/_apis/connectionData":
                who = ({"id": str(uuid.uuid4()), "providerDisplayName": pat.user,
                        "properties": {"Account": {"$type": "System.String",
                                                   "$value": pat.account}}}
                       if pat else {"id": ANONYMOUS, "providerDisplayName": ANONYMOUS,
                                    "properties": {}})
                return self.reply(200, {"authenticatedUser": who, "authorizedUser": who,
                                        "instanceId": "b6e05f5e-6b1f-4f7a-9d3c-2f8f0d5e7c11",
                                        "deploymentId": "0d9f4d3b-0000-0000-0000-000000000000",
                                        "deploymentType": world.deployment})
            if pat is None:
                return self.reply(401, _error("TF400813: The user '' is not authorized to "
                                              "access this resource.",
                                              "UnauthorizedRequestException"))
            pieces = [p for p in path.split("/") if p]
            project = None if pieces[0] == "_apis" else pieces[0]
            rest = "/".join(pieces[2:] if project else pieces[1:])
            if project is not None and project not in world.projects:
                return self.reply(404, _error(
                    f"TF200016: The following project does not exist: {project}. Verify that "
                    f"the name of the project is correct and that the project exists on the "
                    f"specified Azure DevOps Server.", "ProjectDoesNotExistException"))
            wanted = next((s for key, s in SCOPE_OF.items() if rest.startswith(key)), None)
            if wanted is None:
                return self.reply(404, _error("Page not found.", "NotFoundException"))
            if wanted not in world.granted(pat):
                return self.reply(401, _error(f"TF400813: The user '{pat.account}' is not "
                                              f"authorized to access this resource.",
                                              "UnauthorizedRequestException"))
            if rest.startswith("projects/"):
                name = rest.removeprefix("projects/")
                if name not in world.projects:
                    return self.reply(404, _error(
                        f"TF200016: The following project does not exist: {name}. Verify "
                        f"that the name of the project is correct and that the project "
                        f"exists on the specified Azure DevOps Server.",
                        "ProjectDoesNotExistException"))
                return self.reply(200, {"id": str(uuid.uuid4()), "name": name,
                                        "state": world.projects[name], "visibility": "private"})
            return self.reply(200, {"count": 1, "value": [{"id": str(uuid.uuid4()),
                                                           "name": "Fabrikam"}]})

    return Handler
