"""Version profiles: what each emulated Exchange release says and accepts."""

from __future__ import annotations

from dataclasses import dataclass

from exsync.emulator.soap import T_NS, schema_error

_BASE_VERSIONS = (
    "Exchange2007",
    "Exchange2007_SP1",
    "Exchange2010",
    "Exchange2010_SP1",
    "Exchange2010_SP2",
)


# Item, contact and folder FieldURIs the 2013 schema added to the 2010 SP2
# enumeration: a 2010 server fails schema validation on them.
_ADDED_IN_2013 = frozenset(
    """
    folder:DistinguishedFolderId folder:PolicyTag folder:ArchiveTag
    folder:ReplicaList item:ReminderNextTime item:Flag item:InstanceKey
    item:NormalizedBody item:EntityExtractionResult item:PolicyTag
    item:ArchiveTag item:RetentionDate item:Preview item:PredictedActionReasons
    item:IsClutter item:RightsManagementLicenseData item:BlockStatus
    item:HasBlockedImages item:TextBody item:IconIndex item:MimeContentUTF8
    contacts:AbchEmailAddresses contacts:AccountName
    contacts:IsAutoUpdateDisabled contacts:IsMessengerEnabled contacts:Comment
    contacts:ContactShortId contacts:ContactType contacts:CreatedBy
    contacts:Gender contacts:IsHidden contacts:ObjectId contacts:PassportId
    contacts:PersonId contacts:IsPrivate contacts:SourceId contacts:TrustLevel
    contacts:Urls contacts:Cid contacts:SkypeAuthCertificate
    contacts:SkypeContext contacts:SkypeId contacts:XboxLiveTag
    contacts:SkypeRelationship contacts:YomiNickname contacts:InviteFree
    contacts:HidePresenceAndProfile contacts:IsPendingOutbound
    contacts:SupportGroupFeeds contacts:UserTileHash contacts:UnifiedInbox
    contacts:Mris contacts:Wlid contacts:AbchContactId
    contacts:NotInBirthdayCalendar contacts:ShellContactType contacts:ImMri
    contacts:PresenceTrustLevel contacts:OtherMri contacts:ProfileLastChanged
    contacts:MobileIMEnabled
    """.split()
)


@dataclass(frozen=True)
class Profile:
    """One emulated server release."""

    name: str
    build: tuple[int, int, int, int]
    version: str
    accepted: tuple[str, ...]
    has_suppress_read_receipts: bool = False
    refused_uris: frozenset[str] = frozenset()

    def check_uri(self, uri: str) -> None:
        """Refuse a FieldURI this release's schema does not have.

        Raises SoapFaultError ErrorSchemaValidation.
        """
        if uri in self.refused_uris:
            raise schema_error(
                f"The 'FieldURI' attribute is invalid - The value '{uri}' is "
                "invalid according to its data type "
                "'http://schemas.microsoft.com/exchange/services/2006/types:"
                "UnindexedFieldURIType' - The Enumeration constraint failed."
            )

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
        refused_uris=_ADDED_IN_2013,
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


# Every RequestServerVersion value some Exchange release accepts. A server
# answers a value it does not know at all with ErrorInvalidRequest, and a
# known but newer one with ErrorInvalidServerVersion.
KNOWN_VERSIONS = frozenset(PROFILES["Exchange2016"].accepted) | {"Exchange2015_SP1"}


def get_profile(name: str) -> Profile:
    """Return the profile called ``name``; raises ValueError for an unknown one."""
    try:
        return PROFILES[name]
    except KeyError:
        known = ", ".join(PROFILES)
        raise ValueError(
            f"unknown Exchange version {name!r} (known: {known})"
        ) from None
