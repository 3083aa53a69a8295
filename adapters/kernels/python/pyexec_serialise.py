"""`results` as JSON: numpy, pandas, datetime, set, complex, bytes handled; anything else as repr."""

import datetime
import decimal
import math
import pathlib
import sys

from pyexec_json import private_json

MAX_DEPTH = 64


def _finite(number):
    if math.isnan(number):
        return "nan"
    if math.isinf(number):
        return "inf" if number > 0 else "-inf"
    return number


def to_jsonable(value, depth=0):
    """numpy, pandas, datetime, set, complex, bytes handled; anything else as repr."""
    if depth > MAX_DEPTH:
        return repr(value)
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return _finite(float(value))
    if isinstance(value, complex):
        return {"real": _finite(value.real), "imag": _finite(value.imag)}
    if isinstance(value, dict):
        return {_key(k): to_jsonable(v, depth + 1) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_jsonable(item, depth + 1) for item in value]
    if isinstance(value, (set, frozenset)):
        items = [to_jsonable(item, depth + 1) for item in value]
        try:
            return sorted(items)
        except TypeError:
            return items
    if isinstance(value, (datetime.datetime, datetime.date, datetime.time)):
        return value.isoformat()
    if isinstance(value, datetime.timedelta):
        return value.total_seconds()
    if isinstance(value, (bytes, bytearray, memoryview)):
        raw = bytes(value)
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError:
            return repr(raw)
    if isinstance(value, decimal.Decimal):
        return _finite(float(value))
    if isinstance(value, pathlib.PurePath):
        return str(value)
    converted = _convert_scientific(value, depth)
    return converted if converted is not _UNHANDLED else repr(value)


_UNHANDLED = object()


def _convert_scientific(value, depth):
    """numpy and pandas, looked up only if the code imported them."""
    np = sys.modules.get("numpy")
    pd = sys.modules.get("pandas")
    if pd is not None:
        if isinstance(value, pd.DataFrame):
            split = value.to_dict(orient="split")
            return {
                "columns": to_jsonable(split["columns"], depth + 1),
                "index": to_jsonable(split["index"], depth + 1),
                "data": to_jsonable(split["data"], depth + 1),
            }
        if isinstance(value, pd.Series):
            return {_key(k): to_jsonable(v, depth + 1) for k, v in value.items()}
        if isinstance(value, pd.Timestamp):
            return value.isoformat()
        if value is pd.NaT:
            return None
    if np is not None:
        if isinstance(value, np.ndarray):
            if value.dtype.kind in "Mm":
                return value.astype(str).tolist()
            return to_jsonable(value.tolist(), depth + 1)
        if isinstance(value, (np.datetime64, np.timedelta64)):
            return str(value)
        if isinstance(value, np.generic):
            return to_jsonable(value.item(), depth + 1)
    return _UNHANDLED


def _key(key):
    converted = to_jsonable(key, MAX_DEPTH)
    return converted if isinstance(converted, str) else private_json.dumps(converted)
