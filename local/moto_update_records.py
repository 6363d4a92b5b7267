"""Makes moto 5.2.1 write one stream record for an UpdateItem that creates its item, as AWS does.

moto creates the missing item with a keys-only PutItem and then applies the update, so its
stream carries two INSERT records: one with nothing but the keys, then the real one. A stream
consumer sees an item without any of its attributes (the registry's stream handler logs each as
unreadable). The keys-only record is dropped here; the sequence numbers stay dense because the
record is never added.
"""
import contextvars

from moto.dynamodb.models import DynamoDBBackend
from moto.dynamodb.models.table import StreamShard

_creating = contextvars.ContextVar("update_item_creating", default=False)

_original_add = StreamShard.add


def _wrap_update_item(update_item):
    def _update_item(self, *args, **kwargs):
        token = _creating.set(True)
        try:
            return update_item(self, *args, **kwargs)
        finally:
            _creating.reset(token)

    return _update_item


def _add(self, old, new):
    if _creating.get() and old is None:
        # The keys-only item update_item puts before applying the update: the final add follows.
        _creating.set(False)
        return None
    return _original_add(self, old, new)


def install():
    # Wraps the update_item installed at this moment, not the one seen at import: moto_transactions
    # runs every operation under its lock, and wrapping the unlocked original undid that for
    # UpdateItem (two concurrent updates that created one item each saw none, and one was lost).
    DynamoDBBackend.update_item = _wrap_update_item(DynamoDBBackend.update_item)
    StreamShard.add = _add
