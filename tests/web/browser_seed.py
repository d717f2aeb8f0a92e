"""History for the browser run's dashboard: a few older cases that were rejected, fixed and
accepted late, booked through the real services. Run inside ``manage.py shell``."""

from datetime import date, timedelta

from django.utils import timezone

from cases import services
from cases.models import User

agent = User.objects.get(username="agent_ept")
agent_tca = User.objects.get(username="agent_tca")
ero = User.objects.get(username="ero_elp")
ero_pho = User.objects.get(username="ero_pho")
NARRATIVE = (
    "Subject was encountered by agents two miles west of the port of entry after crossing "
    "the boundary on foot; subject stated no fear of return."
)
now = timezone.now()
MISSING, ADDRESS, LINKAGE = "missing_i213", "invalid_address", "family_linkage_missing"
HISTORY = [
    # (agent, officer, first, last, second, dob, country, hours ago, rejections, accept)
    (agent, ero, "Luis", "Gómez", "Díaz", date(1985, 2, 3), "MX", 70, [[MISSING]], True),
    (agent, ero, "Karla", "Flores", "Ortiz", date(1993, 7, 9), "HN", 64, [[ADDRESS]], True),
    (agent, ero, "Jorge", "Castillo", "Reyes", date(1979, 12, 1), "GT", 58, [], True),
    (agent, ero, "Rosa", "Mejía", "Vásquez", date(1990, 3, 3), "SV", 52,
     [[MISSING, LINKAGE], [MISSING]], False),
    (agent, ero, "Brayan", "Cruz", "López", date(2000, 5, 5), "HN", 26,
     [["document_illegible"]], False),
    (agent_tca, ero_pho, "Miguel", "Pérez", "Flores", date(1987, 9, 9), "MX", 90,
     [["criminal_history_incomplete"]], True),
    (agent_tca, ero_pho, "Daniela", "Ortiz", "Cruz", date(1995, 1, 1), "GT", 75, [], False),
]  # fmt: skip
for n, (who, officer, first, last, second, dob, country, hours, rejections, accept) in enumerate(
    HISTORY, start=1
):
    case = services.book_case(
        actor=who,
        subject=services.SubjectData(
            first_name=first,
            last_name=last,
            second_last_name=second,
            date_of_birth=dob,
            sex="M" if first in {"Luis", "Jorge", "Brayan", "Miguel"} else "F",
            country_of_citizenship=country,
        ),
        event_number=f"{who.unit.sector.code}{now:%y%m%d}{8000 + n:04d}",
        apprehended_at=now - timedelta(hours=hours),
        demographic="single_adult",
    )
    services.set_narrative(case=case, actor=who, text=NARRATIVE)
    services.submit_case(case=case, actor=who, acknowledge_warnings=True)
    for reasons in rejections:
        services.reject_case(case=case, actor=officer, reasons=reasons, comment="See the reasons.")
        services.submit_case(case=case, actor=who, acknowledge_warnings=True)
    if accept:
        services.accept_case(case=case, actor=officer)
print("seeded", len(HISTORY))

# A mother and a child of one event, same surname, no family group number: the submission
# warns about the missing linkage and the agent acknowledges it (data-quality chart).
event = f"EPT{now:%y%m%d}8100"
for first, dob, demographic in (("Lucía", date(1992, 4, 4), "single_adult"),
                                ("Guadalupe", date(2014, 8, 8), "uac")):  # fmt: skip
    case = services.book_case(
        actor=agent,
        subject=services.SubjectData(
            first_name=first,
            last_name="Reyes",
            second_last_name="Ortiz",
            date_of_birth=dob,
            sex="F",
            country_of_citizenship="HN",
        ),
        event_number=event,
        apprehended_at=now - timedelta(hours=14),
        demographic=demographic,
    )
    services.set_narrative(case=case, actor=agent, text=NARRATIVE)
    services.submit_case(case=case, actor=agent, acknowledge_warnings=True)
