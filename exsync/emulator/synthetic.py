"""Synthetic contacts for tests and benchmarks, reproducible from a seed."""

from __future__ import annotations

import random

_GIVEN = (
    "Ana", "Jürgen", "Søren", "Chloé", "Hiroshi", "Олег", "Priya", "Seán",
    "María", "Zoë", "Łukasz", "Mehmet", "Fatima", "Kwame", "Ingrid", "Giulia",
    "Aroha", "Wei", "Thandiwe", "José", "Émilie", "Ahmed", "Anneli", "Yuki",
)  # fmt: skip
_SURNAMES = (
    "Souza", "Groß", "Jensen", "Dubois", "Tanaka", "Smirnov", "Raghunathan",
    "Ó Briain", "García", "van der Berg", "Wiśniewski", "Yılmaz", "Mensah",
    "Johansson", "Rossi", "Ngata", "Chen", "Nkosi", "Hernández", "Tremblay",
)  # fmt: skip
_COMPANIES = (
    "Horizonte Ltda", "Müller & Söhne GmbH", "Nordlys ApS", "Atelier Lumière",
    "Sakura KK", "Vektor OOO", "Anadolu Tekstil", "Gulf Trading LLC", None,
)  # fmt: skip
_CITIES = (
    ("São Paulo", "Brasil", "01310-100"), ("München", "Deutschland", "80331"),
    ("Lyon", "France", "69002"), ("東京都", "日本", "100-0005"),
    ("Kraków", "Polska", "31-005"), ("Reykjavík", "Ísland", "101"),
)  # fmt: skip
_JOBS = ("Buyer", "CEO", "Engineer", "Sales Director", "Accountant", None)


def make_contacts(
    n: int,
    category: str | None = "PegaSASync",
    seed: int = 1,
    private_share: float = 0.05,
    untagged_share: float = 0.0,
    groups: int = 0,
) -> list[dict]:
    """Return ``n`` contact dicts (plus ``groups`` contact groups).

    The same arguments always give the same contacts. ``category`` tags
    every contact except an ``untagged_share`` of them; ``private_share``
    of them are marked Private.
    """
    rng = random.Random(seed)
    contacts = []
    for index in range(n):
        given = rng.choice(_GIVEN)
        surname = rng.choice(_SURNAMES)
        city, country, zipcode = rng.choice(_CITIES)
        local = f"c{seed}.{index}"
        contact = {
            "display_name": f"{given} {surname}",
            "given_name": given,
            "surname": surname,
            "email_addresses": {"EmailAddress1": f"{local}@example.net"},
            "phone_numbers": {"BusinessPhone": f"+1 555 {index:07d}"},
            "physical_addresses": {
                "Business": {
                    "street": f"{rng.randint(1, 300)} Main Street",
                    "city": city,
                    "country": country,
                    "zipcode": zipcode,
                }
            },
        }
        company = rng.choice(_COMPANIES)
        if company:
            contact["company_name"] = company
        job = rng.choice(_JOBS)
        if job:
            contact["job_title"] = job
        if rng.random() < 0.3:
            contact["email_addresses"]["EmailAddress2"] = f"{local}@home.example"
            contact["phone_numbers"]["MobilePhone"] = f"+1 555 9{index:06d}"
        if category and rng.random() >= untagged_share:
            contact["categories"] = [category]
        if rng.random() < private_share:
            contact["sensitivity"] = "Private"
        contacts.append(contact)
    for index in range(groups):
        members = [
            c["email_addresses"]["EmailAddress1"] for c in contacts[index::7][:5]
        ]
        group = {"kind": "distribution_list", "display_name": f"Group {index + 1}"}
        group["members"] = members
        if category:
            group["categories"] = [category]
        contacts.append(group)
    return contacts
