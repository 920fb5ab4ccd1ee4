"""The taxonomy of provision (DOMAIN.md): categories, the kinds within each, and the
criteria a listing can require of a young person. The taxonomy can grow; the
meaning of each entry is documented in docs/eligibility.md.
"""

CATEGORIES: dict[str, str] = {
    "training": "Training",
    "education": "Education",
    "employment": "Employment",
    "housing": "Housing",
    "benefits": "Benefits",
    "health": "Health",
    "mental-health": "Mental health",
    "drugs-alcohol": "Drugs and alcohol",
    "anger-management": "Anger management",
    "youth-offending": "Youth offending support",
}

# The second level: the kind of provision within a category (a listing has one).
KINDS: dict[str, dict[str, str]] = {
    "training": {
        "apprenticeship": "Apprenticeship",
        "traineeship": "Traineeship",
        "vocational-course": "Vocational course",
        "pre-employment": "Pre-employment programme",
    },
    "education": {
        "college-course": "College course",
        "re-engagement": "Re-engagement programme",
        "english-maths": "English and maths",
        "alternative-provision": "Alternative provision",
    },
    "employment": {
        "job-vacancy": "Job vacancy",
        "work-experience": "Work experience",
        "supported-employment": "Supported employment",
        "employability": "Employability support",
    },
    "housing": {
        "emergency-bed": "Emergency bed",
        "supported-accommodation": "Supported accommodation",
        "floating-support": "Floating support",
        "housing-advice": "Housing advice",
    },
    "benefits": {
        "benefits-advice": "Benefits advice",
        "money-advice": "Money and debt advice",
        "grants": "Grants and bursaries",
    },
    "health": {
        "gp-registration": "GP registration",
        "sexual-health": "Sexual health",
        "health-clinic": "Health clinic",
    },
    "mental-health": {
        "counselling": "Counselling",
        "specialist-mental-health": "Specialist mental health",
        "wellbeing-group": "Wellbeing group",
        "crisis-support": "Crisis support",
    },
    "drugs-alcohol": {
        "treatment": "Treatment programme",
        "harm-reduction": "Harm reduction and advice",
        "residential-rehab": "Residential rehabilitation",
    },
    "anger-management": {
        "group-programme": "Group programme",
        "one-to-one": "One-to-one sessions",
    },
    "youth-offending": {
        "yot-programme": "Youth offending team programme",
        "mentoring": "Mentoring",
        "restorative-justice": "Restorative justice",
    },
}

# What a listing can require of a young person, and the assessment can record of one.
# Keys are stable codes (in data and the API); values are what people read.
CRITERIA: dict[str, str] = {
    "care_leaver": "care leavers",
    "looked_after": "young people in care",
    "young_parent": "young parents and parents-to-be",
    "homeless": "young people who are homeless or at risk of it",
    "send": "young people with special educational needs or a disability",
    "youth_justice": "young people working with the youth justice service",
    "local_connection": "young people with a local connection to the area",
}


def category_label(slug: str | None) -> str:
    return CATEGORIES.get(slug, slug) if slug else "Not yet categorised"


def kind_label(category: str, kind: str | None) -> str:
    return KINDS.get(category, {}).get(kind or "", kind or "")


def is_kind_of(category: str, kind: str | None) -> bool:
    """Whether `kind` is a kind within `category` (None, no kind given, is allowed)."""
    return kind is None or kind in KINDS.get(category, {})
