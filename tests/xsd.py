"""Offline validation of TCX and GPX output against the official XSDs in ../shared/schemas."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from lxml import etree

from tests.conftest import SCHEMAS

TCX_SCHEMAS = (
    ("http://www.garmin.com/xmlschemas/TrainingCenterDatabase/v2", "TrainingCenterDatabasev2.xsd"),
    ("http://www.garmin.com/xmlschemas/ActivityExtension/v2", "ActivityExtensionv2.xsd"),
)
GPX_SCHEMAS = (
    ("http://www.topografix.com/GPX/1/1", "gpx.xsd"),
    ("http://www.garmin.com/xmlschemas/TrackPointExtension/v2", "TrackPointExtensionv2.xsd"),
    ("http://www.garmin.com/xmlschemas/TrackPointExtension/v1", "TrackPointExtensionv1.xsd"),
    ("http://www.garmin.com/xmlschemas/PowerExtension/v1", "PowerExtensionv1.xsd"),
)


@cache
def schema(kind: str, schemas_dir: Path = SCHEMAS) -> etree.XMLSchema:
    """A schema that imports the format's XSD and its extension XSDs (no network)."""
    parts = TCX_SCHEMAS if kind == "tcx" else GPX_SCHEMAS
    imports = "".join(
        f'<xsd:import namespace="{ns}" schemaLocation="{(schemas_dir / name).resolve().as_uri()}"/>'
        for ns, name in parts
    )
    driver = (
        '<xsd:schema xmlns:xsd="http://www.w3.org/2001/XMLSchema" '
        f'targetNamespace="urn:peloton-export:test-driver">{imports}</xsd:schema>'
    )
    parser = etree.XMLParser(no_network=True)
    return etree.XMLSchema(etree.fromstring(driver.encode(), parser))


def validate(kind: str, data: bytes) -> list[str]:
    """The schema errors of ``data`` (an empty list when it is valid)."""
    doc = etree.fromstring(data, etree.XMLParser(no_network=True, resolve_entities=False))
    checker = schema(kind)
    if checker.validate(doc):
        return []
    return [f"line {e.line}: {e.message}" for e in checker.error_log]
