"""The subject an application's certificates will name, from its recorded fields."""

from __future__ import annotations

from huren.node.applications.errors import InvalidApplication
from huren.node.db.applications_tables import Application
from huren.node.pki.errors import InvalidSubject
from huren.node.pki.profiles import EnterpriseSubject, PersonalSubject, StaffSubject, Subject
from huren.registry.types import CertificateKind

__all__ = ["display_name", "subject_of"]


def subject_of(row: Application) -> Subject | None:
    """The subject (None for an application that issues nothing); ``InvalidApplication``
    when the fields do not make a valid one (checked at creation, before any review)."""
    if row.certificate_kind is None:
        return None
    kind = CertificateKind(row.certificate_kind)
    try:
        if kind == CertificateKind.PERSONAL:
            if row.person_name is None:
                raise InvalidApplication("a personal certificate names the person")
            return PersonalSubject(row.person_name)
        if row.enterprise_name is None or row.uscc is None:
            raise InvalidApplication("an enterprise or staff certificate names the enterprise")
        enterprise = EnterpriseSubject(row.enterprise_name, row.uscc)
        if kind == CertificateKind.ENTERPRISE:
            return enterprise
        if row.person_name is None:
            raise InvalidApplication("a staff certificate names the person")
        return StaffSubject(enterprise, row.person_name)
    except InvalidSubject as exc:
        raise InvalidApplication(str(exc)) from None


def display_name(row: Application) -> str:
    """What the holder's certificate list shows."""
    subject = subject_of(row)
    if isinstance(subject, EnterpriseSubject):
        return subject.name
    if isinstance(subject, StaffSubject):
        return f"{subject.enterprise.name} / {subject.person}"
    return "" if subject is None else subject.person
