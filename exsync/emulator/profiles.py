"""Version profiles: what each emulated Exchange release says and accepts."""

from __future__ import annotations

from dataclasses import dataclass

from exsync.emulator.soap import T_NS

_BASE_VERSIONS = (
    "Exchange2007",
    "Exchange2007_SP1",
    "Exchange2010",
    "Exchange2010_SP1",
    "Exchange2010_SP2",
)


@dataclass(frozen=True)
class Profile:
    """One emulated server release."""

    name: str
    build: tuple[int, int, int, int]
    version: str
    accepted: tuple[str, ...]
    has_notes: bool = True
    has_suppress_read_receipts: bool = False

    @property
    def server_version_info(self) -> str:
        """The ``h:ServerVersionInfo`` header element."""
        major, minor, build, revision = self.build
        return (
            f'<h:ServerVersionInfo MajorVersion="{major}" MinorVersion="{minor}" '
            f'MajorBuildNumber="{build}" MinorBuildNumber="{revision}" '
            f'Version="{self.version}" xmlns:h="{T_NS}"/>'
        )


PROFILES = {
    "Exchange2010": Profile(
        name="Exchange2010",
        build=(14, 3, 123, 4),
        version="Exchange2010_SP2",
        accepted=_BASE_VERSIONS,
    ),
    "Exchange2013": Profile(
        name="Exchange2013",
        build=(15, 0, 1497, 2),
        version="Exchange2013_SP1",
        accepted=_BASE_VERSIONS + ("Exchange2013", "Exchange2013_SP1"),
        has_suppress_read_receipts=True,
    ),
    "Exchange2016": Profile(
        name="Exchange2016",
        build=(15, 1, 2507, 6),
        version="V2017_07_11",
        accepted=_BASE_VERSIONS
        + ("Exchange2013", "Exchange2013_SP1", "Exchange2015", "Exchange2016"),
        has_suppress_read_receipts=True,
    ),
}


def get_profile(name: str) -> Profile:
    """Return the profile called ``name``; raises ValueError for an unknown one."""
    try:
        return PROFILES[name]
    except KeyError:
        known = ", ".join(PROFILES)
        raise ValueError(
            f"unknown Exchange version {name!r} (known: {known})"
        ) from None
