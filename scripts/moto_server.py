"""Starts moto's server (the local AWS emulator) with one fidelity fix.

Usage: moto_server.py --port PORT [--host 127.0.0.1]

The fix: moto's UpdateModelPackage overwrites every updatable field with what
the call passed, so a call that omits CustomerMetadataProperties,
ApprovalDescription or ModelApprovalStatus erases them (and
CustomerMetadataPropertiesToRemove crashes when no metadata is left).
Real SageMaker only changes what the call gives: CustomerMetadataProperties
is merged into the existing map, CustomerMetadataPropertiesToRemove deletes
those keys, and omitted fields keep their values. Demos and tests must see the
real behaviour, so the backend method is wrapped here (site-packages stays
untouched). Checked against moto 5.2.5 (moto/sagemaker/models.py).
"""

import argparse
import sys

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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    moto_main(["--host", args.host, "--port", str(args.port)])


if __name__ == "__main__":
    sys.exit(main())
