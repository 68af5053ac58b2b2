"""SMART system scopes, v1 (`system/Patient.read`, `.write`, `.*`) and v2 (`system/Patient.rs`, `.cruds`), reduced
to what they allow: a resource type (or `*`) and a set of interactions among c(reate) r(ead) u(pdate) d(elete)
s(earch)."""

import re
from dataclasses import dataclass

# The resource types this server serves; `*` stands for all of them.
RESOURCE_TYPES = ("Patient", "Practitioner", "Organization", "DocumentReference", "Binary", "DiagnosticReport",
                  "Questionnaire", "QuestionnaireResponse", "ResearchStudy")
V1_ACTIONS = {"read": "rs", "write": "cud", "*": "cruds"}
V2_ORDER = "cruds"
SCOPE = re.compile(r"^system/(?P<resource>\*|[A-Za-z]{1,64})\.(?P<action>read|write|\*|[cruds]{1,5})$")
# What the discovery document advertises (the v2 forms are accepted as well).
ADVERTISED = [f"system/{t}.{a}" for t in RESOURCE_TYPES for a in ("read", "write", "*")
              if not (a != "read" and t in ("Practitioner", "Organization", "DiagnosticReport", "Questionnaire",
                                            "QuestionnaireResponse", "ResearchStudy"))]
ADVERTISED += ["system/*.read", "system/Patient.rs", "system/Patient.cruds", "system/DocumentReference.rs",
               "system/DocumentReference.cruds"]


class InvalidScope(ValueError):
    """A scope string this server does not understand (French message)."""


@dataclass(frozen=True)
class Scope:
    text: str
    resource: str
    actions: frozenset[str]


def parse(text: str) -> Scope:
    match = SCOPE.match(text)
    if match is None:
        raise InvalidScope(f"Scope non reconnu : « {text} » (attendu : system/<Ressource>.read|write|* ou "
                           f"system/<Ressource>.cruds).")
    resource, action = match["resource"], match["action"]
    if resource != "*" and resource not in RESOURCE_TYPES:
        raise InvalidScope(f"Type de ressource inconnu dans le scope « {text} ».")
    if action in V1_ACTIONS:
        letters = V1_ACTIONS[action]
    else:
        # v2: letters in the order c r u d s, each once.
        if "".join(sorted(action, key=V2_ORDER.index)) != action or len(set(action)) != len(action):
            raise InvalidScope(f"Scope v2 mal formé : « {text} » (lettres dans l'ordre c, r, u, d, s).")
        letters = action
    return Scope(text, resource, frozenset(letters))


def parse_all(text: str) -> list[Scope]:
    """A space-separated list; duplicates removed, order kept."""
    seen, scopes = set(), []
    for item in (text or "").split():
        if item not in seen:
            seen.add(item)
            scopes.append(parse(item))
    return scopes


@dataclass(frozen=True)
class Grant:
    """The scopes of a token (or of a client)."""

    scopes: tuple[Scope, ...]

    @classmethod
    def of(cls, text: str) -> "Grant":
        return cls(tuple(parse_all(text)))

    def allowed(self, resource: str) -> frozenset[str]:
        letters: set[str] = set()
        for scope in self.scopes:
            if scope.resource in ("*", resource):
                letters |= scope.actions
        return frozenset(letters)

    def allows(self, resource: str, action: str) -> bool:
        return action in self.allowed(resource)

    def covers(self, scope: Scope) -> bool:
        """Whether a requested scope is within this grant."""
        if scope.resource == "*":
            wildcard = {letter for s in self.scopes if s.resource == "*" for letter in s.actions}
            return scope.actions <= wildcard
        return scope.actions <= self.allowed(scope.resource)

    @property
    def text(self) -> str:
        return " ".join(s.text for s in self.scopes)
