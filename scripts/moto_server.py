"""Starts moto's server (the local AWS emulator) with two fidelity fixes.

Usage: moto_server.py --port PORT [--host 127.0.0.1]

Fix 1: moto's UpdateModelPackage overwrites every updatable field with what
the call passed, so a call that omits CustomerMetadataProperties,
ApprovalDescription or ModelApprovalStatus erases them (and
CustomerMetadataPropertiesToRemove crashes when no metadata is left).
Real SageMaker only changes what the call gives: CustomerMetadataProperties
is merged into the existing map, CustomerMetadataPropertiesToRemove deletes
those keys, and omitted fields keep their values. Demos and tests must see the
real behaviour, so the backend method is wrapped here (site-packages stays
untouched). Checked against moto 5.2.5 (moto/sagemaker/models.py).

Fix 2: moto's CopyObject and UploadPartCopy ignore x-amz-copy-source-if-match
and copy whatever the source key holds now. Real S3 answers 412
PreconditionFailed (Condition x-amz-copy-source-If-Match) when the source
object (or the CopySource versionId's object) has another ETag; the product
relies on that to notice a key overwritten between an event and the copy.
The two S3Response methods are wrapped to check the header first. HeadObject
and GetObject already answer 412 to a mismatched If-Match in moto 5.2.5 (with
a quoted ETag, as the product sends), so they are left alone. Checked against
moto 5.2.5 (moto/s3/responses.py).
"""

import argparse
import sys
from urllib.parse import parse_qs, unquote, urlparse

from moto.s3.exceptions import PreconditionFailed
from moto.s3.responses import S3Response
from moto.sagemaker.models import SageMakerModelBackend
from moto.server import main as moto_main

_moto_update_model_package = SageMakerModelBackend.update_model_package


def _update_model_package(
    self,
    model_package_arn,
    model_approval_status,
    approval_description,
    customer_metadata_properties,
    customer_metadata_properties_to_remove,
    additional_inference_specifications_to_add,
):
    name = self.model_package_name_mapping.get(model_package_arn, model_package_arn)
    package = self.model_packages.get(name)
    if package is None:
        # moto raises its own "not found" error: keep it.
        return _moto_update_model_package(
            self,
            model_package_arn,
            model_approval_status,
            approval_description,
            customer_metadata_properties,
            customer_metadata_properties_to_remove,
            additional_inference_specifications_to_add,
        )
    # Merge, then remove: what real SageMaker does with the two parameters.
    merged = dict(package.customer_metadata_properties or {})
    merged.update(customer_metadata_properties or {})
    for key in customer_metadata_properties_to_remove or []:
        merged.pop(key, None)
    kept_specifications = package.additional_inference_specifications
    arn = _moto_update_model_package(
        self,
        model_package_arn,
        # Omitted means unchanged, not erased.
        model_approval_status if model_approval_status is not None else package.model_approval_status,
        approval_description if approval_description is not None else package.approval_description,
        merged or None,
        [],
        additional_inference_specifications_to_add,
    )
    if additional_inference_specifications_to_add is None:
        # moto would also reset these to None when none are added.
        package.additional_inference_specifications = kept_specifications
    return arn


SageMakerModelBackend.update_model_package = _update_model_package


def _check_copy_source_if_match(response):
    """Raises PreconditionFailed when x-amz-copy-source-if-match names another ETag.

    Without the header, or when the source does not exist, nothing is checked:
    moto's own method then answers (NoSuchKey, NoSuchVersion, 404...).
    """
    wanted = response.headers.get("x-amz-copy-source-if-match")
    if not wanted:
        return
    # The same parsing as moto's copy_object / upload_part_copy.
    copy_source = response.headers.get("x-amz-copy-source")
    if isinstance(copy_source, bytes):
        copy_source = copy_source.decode("utf-8")
    parsed = urlparse(copy_source)
    src_bucket, src_key = unquote(parsed.path).lstrip("/").split("/", 1)
    src_version_id = parse_qs(parsed.query).get("versionId", [None])[0]
    source = response.backend.get_object(src_bucket, src_key, version_id=src_version_id)
    if source is None:
        return
    wanted = wanted.strip()
    # Quotes are optional, "*" matches any existing object.
    if wanted != "*" and wanted.strip('"') != source.etag.strip('"'):
        raise PreconditionFailed(failed_condition="x-amz-copy-source-If-Match")


_moto_copy_object = S3Response.copy_object
_moto_upload_part_copy = S3Response.upload_part_copy


def _copy_object(self):
    _check_copy_source_if_match(self)
    return _moto_copy_object(self)


def _upload_part_copy(self):
    _check_copy_source_if_match(self)
    return _moto_upload_part_copy(self)


S3Response.copy_object = _copy_object
S3Response.upload_part_copy = _upload_part_copy


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    moto_main(["--host", args.host, "--port", str(args.port)])


if __name__ == "__main__":
    sys.exit(main())
