"""Makes moto 5.2.1's TransactWriteItems cost what the transaction touches, not the whole table.

moto backs up every table a transaction names with copy.deepcopy before applying it, and on a
failed condition replaces the table with that copy. The copy includes every item and the whole
DynamoDB stream, so each transaction gets slower as the table and its stream grow (measured here:
23 ms per transaction at first, 320 ms after 1,200), and the replaced table carries a copied
stream shard, which leaves every open shard iterator reading a shard nobody writes to any more.

The backup made here copies the item map shallowly and deep-copies only the items the
transaction names; the stream shard is shared, and a rollback cuts it back to its length before
the transaction. A successful transaction behaves exactly as before.

moto's server handles requests on threads, and nothing in moto's DynamoDB serialises them: a
transaction that rolls back puts back a copy of the table taken when it began, erasing every
write another thread committed meanwhile (seen here: a session item and its count lost among 40
concurrent opens). DynamoDB isolates transactions from all other writes, so every DynamoDB
operation here runs under one lock; moto runs them one at a time anyway (the GIL).
"""
import contextvars
import copy
import functools
import threading
from collections import defaultdict

from moto.dynamodb.models import DynamoDBBackend
from moto.dynamodb.models.dynamo_type import DynamoType
from moto.dynamodb.models.table import Table

_touched_keys = contextvars.ContextVar("touched_keys", default=None)


def _keys_by_table(transact_items):
    keys = {}
    for entry in transact_items:
        _, op = next(iter(entry.items()))
        key = op.get("Key") or op.get("Item") or {}
        keys.setdefault(op.get("TableName"), []).append(key)
    return keys


def _partition_copy(table, raw_keys):
    items = copy.copy(table.items)
    for raw in raw_keys:
        if table.hash_key_attr not in raw:
            continue
        hash_key = DynamoType(raw[table.hash_key_attr])
        if hash_key not in table.items:
            continue
        if table.range_key_attr is None:
            items[hash_key] = copy.deepcopy(table.items[hash_key])
            continue
        if items[hash_key] is table.items[hash_key]:
            items[hash_key] = dict(table.items[hash_key])
        if table.range_key_attr in raw:
            range_key = DynamoType(raw[table.range_key_attr])
            if range_key in table.items[hash_key]:
                items[hash_key][range_key] = copy.deepcopy(table.items[hash_key][range_key])
    return items


def _transaction_backup(self, memo):
    touched = _touched_keys.get()
    if touched is None:
        # Any other deep copy of a table keeps moto's own behaviour (what deepcopy does without a hook).
        return copy._reconstruct(self, memo, *self.__reduce_ex__(4))
    backup = copy.copy(self)
    backup.items = _partition_copy(self, touched.get(self.name, []))
    backup._stream_length_before_transaction = len(self.stream_shard.items) if self.stream_shard else None
    return backup


_original_transact_write_items = DynamoDBBackend.transact_write_items


def _transact_write_items(self, transact_items):
    token = _touched_keys.set(_keys_by_table(transact_items))
    try:
        return _original_transact_write_items(self, transact_items)
    except Exception:
        for table in self.tables.values():
            length = getattr(table, "_stream_length_before_transaction", None)
            if length is not None and table.stream_shard is not None:
                del table.stream_shard.items[length:]
                table.stream_shard.table = table
        raise
    finally:
        _touched_keys.reset(token)
        for table in self.tables.values():
            table.__dict__.pop("_stream_length_before_transaction", None)


_operations_lock = threading.RLock()

_SERIALISED_OPERATIONS = (
    "put_item", "update_item", "delete_item", "get_item", "query", "scan",
    "transact_write_items", "transact_get_items", "batch_write_item", "batch_get_item",
)


def _serialised(operation):
    @functools.wraps(operation)
    def run_alone(*args, **kwargs):
        with _operations_lock:
            return operation(*args, **kwargs)

    return run_alone


def install():
    Table.__deepcopy__ = _transaction_backup
    DynamoDBBackend.transact_write_items = _transact_write_items
    for name in _SERIALISED_OPERATIONS:
        operation = getattr(DynamoDBBackend, name, None)
        if operation is not None:
            setattr(DynamoDBBackend, name, _serialised(operation))
