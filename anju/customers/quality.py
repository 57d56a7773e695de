"""Data quality (CUS-8): how complete a customer's profile is."""

# Field → weight. Name and phone are always present (a registration needs them).
WEIGHTS = {
    "name": 10,
    "phone": 10,
    "gender": 5,
    "birth_date": 8,
    "id_number": 8,
    "occupation": 6,
    "address": 6,
    "family_structure": 6,
    "email": 4,
    "area_min": 5,
    "layout_wanted": 6,
    "budget_max": 8,
    "purpose": 5,
    "source": 3,
    "grade": 4,
    "life_stage": 3,
    "payment_ability": 3,
}


def _filled(customer, field) -> bool:
    value = getattr(customer, field, None)
    if field == "gender":
        return value in ("M", "F")
    if field == "source":
        return value not in ("", None, "other")
    return value not in ("", None)


def completeness_of(customer) -> int:
    """0–100: the weighted share of profile fields filled in."""
    total = sum(WEIGHTS.values())
    got = sum(w for f, w in WEIGHTS.items() if _filled(customer, f))
    return round(100 * got / total)
