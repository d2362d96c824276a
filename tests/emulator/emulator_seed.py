"""Seed data of the emulator's demo tenant "Contoso".

All ids are fixed so that docs and tests can name them. Each object kind has its own prefix:
users aaaa…, groups bbbb…, connected organizations cccc…, the service principal dddd… and the
device eeee…. The ids contain hex letters, so a client that compares ids case-sensitively
fails here as it would against Graph.
"""

TENANT_ID = "8c3e5a1f-2b7d-4e90-a6c4-5f1d2e3b4a71"
TENANT_NAME = "Contoso"
TENANT_DOMAIN = "contoso.example"

CLIENT_ID = "d4f1c2b3-7a8e-4c5d-9e0f-1a2b3c4d5e6f"
# Emulator-only credential: it opens nothing but this emulator.
CLIENT_SECRET = "emulator-only-secret-9f1c"
APP_DISPLAY_NAME = "Contoso Governance Automation"

# Application permissions granted to the seeded app. Tokens carry them as the roles claim.
DEFAULT_APP_ROLES = ("EntitlementManagement.ReadWrite.All", "Directory.Read.All")

CREATED = "2024-03-01T09:00:00Z"


def user_id(number):
    """Return the id of seeded user ``number`` (1 to 15)."""
    return "aaaa%04x-0000-4000-8000-%012x" % (number, number)


def group_id(number):
    """Return the id of seeded group ``number`` (1 to 6)."""
    return "bbbb%04x-0000-4000-8000-%012x" % (number, number)


def org_id(number):
    """Return the id of seeded connected organization ``number`` (1 to 7)."""
    return "cccc%04x-0000-4000-8000-%012x" % (number, number)


def _user(
    number,
    display_name,
    upn,
    mail,
    given_name="",
    surname="",
    job_title=None,
    user_type="Member",
    account_enabled=True,
    other_mails=(),
):
    return {
        "id": user_id(number),
        "displayName": display_name,
        "givenName": given_name or None,
        "surname": surname or None,
        "userPrincipalName": upn,
        "mail": mail,
        "jobTitle": job_title,
        "userType": user_type,
        "accountEnabled": account_enabled,
        "otherMails": list(other_mails),
        "businessPhones": [],
    }


def _group(number, display_name, mail_nickname, description, mail=None, security_enabled=True):
    return {
        "id": group_id(number),
        "displayName": display_name,
        "description": description,
        "mail": mail,
        "mailNickname": mail_nickname,
        "mailEnabled": mail is not None,
        "securityEnabled": security_enabled,
        "groupTypes": [],
    }


USERS = [
    _user(0x1, "Ada Lovelace", "ada@contoso.example", "ada@contoso.example", "Ada", "Lovelace", "Partner Manager"),
    _user(0x2, "Grace Hopper", "grace@contoso.example", "grace@contoso.example", "Grace", "Hopper", "Procurement Lead"),
    _user(0x3, "Alan Turing", "alan@contoso.example", "alan@contoso.example", "Alan", "Turing"),
    _user(0x4, "Katherine Johnson", "katherine@contoso.example", "katherine@contoso.example", "Katherine", "Johnson"),
    _user(0x5, "Edsger Dijkstra", "edsger@contoso.example", "edsger@contoso.example", "Edsger", "Dijkstra"),
    _user(0x6, "Barbara Liskov", "barbara@contoso.example", "barbara@contoso.example", "Barbara", "Liskov"),
    _user(0x7, "Donald Knuth", "donald@contoso.example", "donald@contoso.example", "Donald", "Knuth"),
    _user(0x8, "Margaret Hamilton", "margaret@contoso.example", "margaret@contoso.example", "Margaret", "Hamilton"),
    # A B2B guest: the UPN contains '#', which a client must percent-encode in a URL path.
    _user(
        0x9,
        "Linus Torvalds (Fabrikam)",
        "linus_fabrikam.example#EXT#@contoso.example",
        "linus@fabrikam.example",
        "Linus",
        "Torvalds",
        user_type="Guest",
        other_mails=["linus@fabrikam.example"],
    ),
    # The apostrophe must be doubled inside an OData string literal.
    _user(0xA, "Siobhán O'Brien", "o'brien@contoso.example", "o'brien@contoso.example", "Siobhán", "O'Brien"),
    _user(0xB, "李娜 (Li Na) 🎾", "li.na@contoso.example", "li.na@contoso.example", "娜", "李"),
    _user(0xC, "Tim Berners-Lee", "tim@contoso.example", "tim@contoso.example", "Tim", "Berners-Lee"),
    _user(0xD, "Radia Perlman", "radia@contoso.example", "radia@contoso.example", "Radia", "Perlman"),
    _user(
        0xE,
        "Wendy Walker (Woodgrove)",
        "wendy_woodgrove.example#EXT#@contoso.example",
        "wendy@woodgrove.example",
        "Wendy",
        "Walker",
        user_type="Guest",
        other_mails=["wendy@woodgrove.example"],
    ),
    _user(0xF, "Former Employee", "former@contoso.example", None, "Former", "Employee", account_enabled=False),
]

GROUPS = [
    # Two groups share a displayName on purpose: a lookup by name must report the ambiguity.
    _group(
        0x1, "Partner Managers", "partner-managers", "Partner managers, EMEA", mail="partner-managers@contoso.example"
    ),
    _group(0x2, "Partner Managers", "partner-managers-americas", "Partner managers, Americas"),
    _group(0x3, "Sponsors & Approvers", "sponsors-approvers", "Approvers of partner access"),
    _group(0x4, "Legal", "legal", "Legal department", mail="legal@contoso.example"),
    _group(0x5, "R&D / Research", "rnd-research", "Research and development"),
    _group(0x6, "Finance", "finance", "Finance department"),
]

SERVICE_PRINCIPALS = [
    {
        "id": "dddd0001-0000-4000-8000-000000000001",
        "displayName": APP_DISPLAY_NAME,
        "appId": CLIENT_ID,
        "servicePrincipalType": "Application",
        "accountEnabled": True,
    },
]

DEVICES = [
    {
        "id": "eeee0001-0000-4000-8000-000000000001",
        "displayName": "CONTOSO-LAPTOP-01",
        "deviceId": "f0e1d2c3-b4a5-4968-8776-655443322110",
        "operatingSystem": "Windows",
        "accountEnabled": True,
    },
]


ADA = user_id(0x1)
GRACE = user_id(0x2)
ALAN = user_id(0x3)
KATHERINE = user_id(0x4)
EDSGER = user_id(0x5)
BARBARA = user_id(0x6)
DONALD = user_id(0x7)
MARGARET = user_id(0x8)
LINUS_GUEST = user_id(0x9)
OBRIEN = user_id(0xA)
LI_NA = user_id(0xB)
TIM = user_id(0xC)
RADIA = user_id(0xD)
WENDY_GUEST = user_id(0xE)
FORMER = user_id(0xF)

PARTNER_MANAGERS_EMEA = group_id(0x1)
PARTNER_MANAGERS_AMERICAS = group_id(0x2)
SPONSORS_AND_APPROVERS = group_id(0x3)
LEGAL = group_id(0x4)
RESEARCH = group_id(0x5)
FINANCE = group_id(0x6)

SERVICE_PRINCIPAL = SERVICE_PRINCIPALS[0]["id"]
DEVICE = DEVICES[0]["id"]

FABRIKAM = org_id(0x1)
WOODGROVE = org_id(0x2)
TAILSPIN = org_id(0x3)
NORTHWIND_1 = org_id(0x4)
NORTHWIND_2 = org_id(0x5)
LITWARE = org_id(0x6)
ONEIL = org_id(0x7)


def _org(org, display_name, description, identity_source, state="configured", internal=(), external=()):
    return {
        "id": org,
        "displayName": display_name,
        "description": description,
        "state": state,
        "identitySources": [identity_source],
        "createdDateTime": CREATED,
        "modifiedDateTime": CREATED,
        "internalSponsors": list(internal),
        "externalSponsors": list(external),
    }


def _aad_tenant(tenant_id, display_name):
    return {
        "@odata.type": "#microsoft.graph.azureActiveDirectoryTenant",
        "tenantId": tenant_id,
        "displayName": display_name,
    }


def _domain(domain_name, display_name):
    return {
        "@odata.type": "#microsoft.graph.domainIdentitySource",
        "domainName": domain_name,
        "displayName": display_name,
    }


CONNECTED_ORGANIZATIONS = [
    _org(
        FABRIKAM,
        "Fabrikam",
        "Fabrikam, Inc.",
        _aad_tenant("1f2e3d4c-5b6a-4978-8695-a4b3c2d1e0f9", "Fabrikam"),
        internal=[ADA],
    ),
    # Eight internal sponsors span three pages at the default page size of 3.
    _org(
        WOODGROVE,
        "Woodgrove Bank",
        "Woodgrove Bank",
        _domain("woodgrove.example", "Woodgrove Bank"),
        internal=[ADA, GRACE, PARTNER_MANAGERS_EMEA, ALAN, KATHERINE, LEGAL, EDSGER, SPONSORS_AND_APPROVERS],
        external=[WENDY_GUEST, LINUS_GUEST],
    ),
    _org(
        TAILSPIN,
        "Tailspin Toys",
        "Tailspin Toys",
        {
            "@odata.type": "#microsoft.graph.externalDomainFederation",
            "domainName": "tailspintoys.example",
            "displayName": "Tailspin Toys",
            "issuerUri": "https://sts.tailspintoys.example/adfs/services/trust",
        },
        external=[LINUS_GUEST],
    ),
    # Two organizations share a displayName on purpose.
    _org(
        NORTHWIND_1,
        "Northwind Traders",
        "Northwind Traders (Europe)",
        _domain("northwind.example", "Northwind Traders"),
        internal=[GRACE],
    ),
    _org(
        NORTHWIND_2,
        "Northwind Traders",
        "Northwind Traders (Asia)",
        _domain("northwind-asia.example", "Northwind Traders Asia"),
    ),
    _org(
        LITWARE,
        "Litware",
        "Litware, Inc.",
        _aad_tenant("2a3b4c5d-6e7f-4809-9a1b-2c3d4e5f6a7b", "Litware"),
        state="proposed",
    ),
    _org(
        ONEIL,
        "O'Neil & Sons",
        "A name with a quote and an ampersand",
        _domain("oneil.example", "O'Neil & Sons"),
        internal=[OBRIEN],
    ),
]
