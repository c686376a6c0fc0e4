"""A property test of SyncFolderItems: a client that applies every page ends
up with exactly the mailbox's items, whatever the owner does between pages."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st
from lxml import etree

from exsync.emulator.directory import Account, Directory
from exsync.emulator.operations.common import Call
from exsync.emulator.operations.sync import sync_folder_items
from exsync.emulator.profiles import get_profile
from exsync.emulator.soap import M_NS, T_NS, parse_request

ADDRESS = "model@example.com"
REQUEST = (
    '<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/" '
    f'xmlns:t="{T_NS}" xmlns:m="{M_NS}"><s:Body><m:SyncFolderItems>'
    "<m:ItemShape><t:BaseShape>IdOnly</t:BaseShape></m:ItemShape>"
    '<m:SyncFolderId><t:DistinguishedFolderId Id="contacts"/></m:SyncFolderId>'
    "<m:SyncState>{state}</m:SyncState>"
    "<m:MaxChangesReturned>{limit}</m:MaxChangesReturned>"
    "</m:SyncFolderItems></s:Body></s:Envelope>"
)

steps = st.lists(
    st.one_of(
        st.tuples(st.just("create"), st.integers(0, 0)),
        st.tuples(st.just("update"), st.integers(0, 50)),
        st.tuples(st.just("delete"), st.integers(0, 50)),
        st.tuples(st.just("page"), st.integers(1, 4)),
    ),
    max_size=40,
)


class Client:
    """Applies sync pages the way a careful client would, checking each change."""

    def __init__(self, directory, mailbox):
        self.items: dict[str, str] = {}
        self.state = ""
        self.call = (directory, mailbox)

    def page(self, limit: int) -> bool:
        directory, mailbox = self.call
        request = parse_request(REQUEST.format(state=self.state, limit=limit).encode())
        account = directory.accounts["svc@example.com"]
        call = Call(request, get_profile("Exchange2016"), directory, account, mailbox)
        answer = etree.fromstring(sync_folder_items(call).encode())
        message = answer.find(f".//{{{M_NS}}}SyncFolderItemsResponseMessage")
        assert message.get("ResponseClass") == "Success"
        for change in message.find(f"{{{M_NS}}}Changes"):
            kind = etree.QName(change).localname
            item_id = change.find(f".//{{{T_NS}}}ItemId")
            if kind == "Create":
                assert item_id.get("Id") not in self.items
                self.items[item_id.get("Id")] = item_id.get("ChangeKey")
            elif kind == "Update":
                assert item_id.get("Id") in self.items
                self.items[item_id.get("Id")] = item_id.get("ChangeKey")
            else:
                del self.items[item_id.get("Id")]
        new_state = message.findtext(f"{{{M_NS}}}SyncState")
        done = message.findtext(f"{{{M_NS}}}IncludesLastItemInRange") == "true"
        assert done or new_state != self.state
        self.state = new_state
        return done


@settings(max_examples=150, deadline=None)
@given(steps)
def test_sync_client_converges_to_mailbox(plan):
    directory = Directory()
    directory.add_account(Account("svc@example.com", "pw", impersonation=True))
    mailbox = directory.add_mailbox(ADDRESS)
    for index in range(3):
        mailbox.create({"display_name": f"Seed {index}"})
    client = Client(directory, mailbox)
    for action, number in plan:
        live = [entry.item_id for entry in mailbox.items()]
        if action == "create":
            mailbox.create({"display_name": "New"})
        elif action == "update" and live:
            mailbox.replace(live[number % len(live)], {"display_name": f"U{number}"})
        elif action == "delete" and live:
            mailbox.delete(live[number % len(live)])
        elif action == "page":
            client.page(number)
    while not client.page(3):
        pass
    expected = {entry.item_id: entry.change_key for entry in mailbox.items()}
    assert client.items == expected
