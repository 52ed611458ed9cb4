"""Replies: what the bot says when it does not quote an answer — refusals and emergency messages.

No medical advice in any of them: where to get help, and the clinic's contact details.
"""
from __future__ import annotations

from service.settings import Settings


def contacts(settings: Settings) -> str:
    """How to reach the clinic: "call …, e-mail … or visit …" (or the clinic's name alone)."""
    reach = []
    if settings.clinic_phone:
        reach.append(f"call {settings.clinic_phone}")
    if settings.clinic_email:
        reach.append(f"e-mail {settings.clinic_email}")
    if settings.clinic_booking_url:
        reach.append(f"visit {settings.clinic_booking_url}")
    joined = (", ".join(reach[:-1]) + " or " + reach[-1]) if len(reach) > 1 else "".join(reach)
    return f"please {joined}" if joined else f"please contact {settings.clinic_name} directly"


def fallback(settings: Settings) -> str:
    """The articles do not answer: no guess, the clinic's contact details."""
    return (f"I couldn't find an answer to that in {settings.clinic_name}'s articles, and I won't guess. "
            f"To ask the team, {contacts(settings)}.")


def medical_advice(settings: Settings) -> str:
    """A dose, a diagnosis or a cure: not something an article quote may answer."""
    return (f"I can't advise on medicines or doses, say what a symptom means, or promise that a treatment cures "
            f"a condition. Please ask your doctor or pharmacist. To ask {settings.clinic_name}'s team, "
            f"{contacts(settings)}.")


def emergency_message(kind: str, number: str, clinic_name: str = "") -> str:
    """The text shown instead of an answer: call <number> now ...; for 'suicide'
    also mention a crisis line ("call or text 988 in the US").

    Deliberately no medical advice: only where to get help, and not to wait.
    """
    number = number.strip()
    target = number or "your local emergency number"
    us = number == "911"  # 988 is a US-only line
    if kind == "suicide":
        crisis = ", or call or text 988 (Suicide & Crisis Lifeline)." if us else "."
        lines = [
            f"If you are thinking about ending your life or are in crisis, call {target} now{crisis}"
        ]
    else:
        lines = [
            f"This sounds like a medical emergency. Call {target} now or go to the nearest emergency department."
        ]
    who = clinic_name.strip() or "the clinic"
    lines.append(
        f"Do not wait for a reply from this chat: it is automated, and {who} "
        "cannot send help through it."
    )
    if kind == "overdose" and us:
        # Overdoses are often intentional; pointing to the crisis line is not advice.
        lines.append(
            "If this was on purpose or you are in crisis, you can also call or text "
            "988 (Suicide & Crisis Lifeline)."
        )
    return " ".join(lines)
