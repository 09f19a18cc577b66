"""The platform directory (选择平台, manual 2.3): the platforms a person may pick, the nearest
to the phone's location with the alliance platform always offered beside it, and the
account's chosen platform (切换); the center operator sets locations and the alliance flag
(admin key). See docs/platforms.md."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request

from huren.api.account_deps import ACCOUNT_RESPONSES, AccountDep
from huren.api.deps import AdminDep
from huren.api.platform_schemas import ChoiceIn, ChoiceOut, NearestOut, ProfileIn, SiteOut
from huren.api.problems import ApiProblem, problem_response
from huren.node.platforms.errors import InvalidCoordinates
from huren.node.platforms.geo import Position
from huren.node.platforms.service import PlatformDirectory
from huren.node.recognition import canonical_id
from huren.registry.errors_base import InvalidIdentifier

RESPONSES: dict[int | str, dict[str, Any]] = {
    **ACCOUNT_RESPONSES,
    403: problem_response("Not permitted (ADMIN_ONLY)"),
    404: problem_response("No such platform (UNKNOWN_PLATFORM)"),
    409: problem_response("The platform is retired (PLATFORM_RETIRED)"),
}
router = APIRouter(tags=["platforms"], responses=RESPONSES)


def get_directory(request: Request) -> PlatformDirectory:
    state = request.app.state
    directory: PlatformDirectory | None = getattr(state, "platform_directory", None)
    if directory is None:  # stateless over the engine: a race builds two, harmlessly
        directory = state.platform_directory = PlatformDirectory(state.node.engine)
    return directory


DirectoryDep = Annotated[PlatformDirectory, Depends(get_directory)]


def _platform(platform_id: str) -> str:
    try:
        return canonical_id(platform_id)
    except InvalidIdentifier as exc:
        raise ApiProblem(422, "VALIDATION_FAILED", f"platform_id: {exc}") from None


@router.get("/v1/platforms")
def platforms(_: AccountDep, directory: DirectoryDep) -> list[SiteOut]:
    """The active platforms to choose from, the alliance platform first."""
    return [SiteOut.of(s) for s in directory.sites()]


@router.get("/v1/platforms/nearest")
def nearest(
    _: AccountDep,
    directory: DirectoryDep,
    lat: Annotated[float, Query(ge=-90, le=90, description="WGS 84 latitude")],
    lon: Annotated[float, Query(ge=-180, le=180, description="WGS 84 longitude")],
) -> NearestOut:
    """The nearest active platform with a location (haversine), and the alliance platform,
    which is selectable wherever the phone is."""
    return NearestOut.of(directory.nearest(Position(lat, lon)))


@router.put("/v1/platforms/{platform_id}/profile")
def set_profile(platform_id: str, body: ProfileIn, _: AdminDep, directory: DirectoryDep) -> SiteOut:
    """Set a platform's location (both coordinates, or neither) and the alliance flag."""
    if (body.latitude is None) != (body.longitude is None):
        raise InvalidCoordinates("give both latitude and longitude, or neither")
    position = None
    if body.latitude is not None and body.longitude is not None:
        position = Position(body.latitude, body.longitude)
    site = directory.set_profile(
        _platform(platform_id), position, alliance=body.alliance, by="node-admin"
    )
    return SiteOut.of(site)


@router.get("/v1/account/platform")
def chosen_platform(account: AccountDep, directory: DirectoryDep) -> ChoiceOut:
    """The account's chosen platform (null before any choice) and the alliance platform."""
    return ChoiceOut.of(directory.chosen(account.id), directory.alliance())


@router.put("/v1/account/platform")
def choose_platform(body: ChoiceIn, account: AccountDep, directory: DirectoryDep) -> ChoiceOut:
    """Switch to an active platform (the alliance platform is always one)."""
    chosen = directory.choose(account.id, _platform(body.platform_id))
    return ChoiceOut.of(chosen, directory.alliance())
