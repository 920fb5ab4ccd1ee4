"""The categories of need and provision (DOMAIN.md); the taxonomy can grow."""

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


def category_label(slug: str) -> str:
    return CATEGORIES.get(slug, slug)
