"""The seal API on SQLite and PostgreSQL: the overview's join of memberships and
enterprises, the slot-based limit, visibility."""

from __future__ import annotations

from tests.api.seals.conftest import People, problem, round_, square


def test_seals_on_either_database(people_any_db: People) -> None:
    people = people_any_db
    base = f"/v1/enterprises/{people.enterprise.id}/seals"
    seal = people.post(people.alice, f"{base}/enterprise/styled", json=round_())
    assert seal.status_code == 201, seal.text
    made = [
        people.post(people.bob, "/v1/seals/personal/styled", json=square("李四")) for _ in "abc"
    ]
    assert [m.status_code for m in made] == [201, 201, 201]
    problem(
        people.post(people.bob, "/v1/seals/personal/styled", json=square("李四")),
        409,
        "SEAL_LIMIT_REACHED",
    )
    overview = people.get(people.bob, "/v1/seals").json()
    assert len(overview["personal"]) == 3
    [group] = overview["enterprises"]
    assert (group["role"], [s["seal_id"] for s in group["seals"]]) == (
        "staff",
        [seal.json()["seal_id"]],
    )
    problem(people.get(people.carol, f"/v1/seals/{seal.json()['seal_id']}"), 404, "SEAL_NOT_FOUND")
