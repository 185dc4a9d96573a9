//! `modelreg event`: the EventBridge "SageMaker Model Package State Change" event of a version,
//! as SageMaker emits it. The local emulator emits none, so the demo and operators replaying a
//! decision build it from DescribeModelPackage.

use aws_sdk_sagemaker::operation::describe_model_package::DescribeModelPackageOutput;

/// The event of `package`'s last change: its creation, or (with `previous_status`) the change
/// of its approval status from that one. Region and account come from the package's ARN.
pub fn build(package: &DescribeModelPackageOutput, previous_status: Option<&str>) -> serde_json::Value {
    let arn = package.model_package_arn().unwrap_or_default();
    let (region, account) = registry::sagemaker::arn_region_and_account(arn);
    registry::approval::state_change_event(package, previous_status, region, account)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn given_package_arn_when_event_built_then_region_and_account_from_the_arn() {
        let package = DescribeModelPackageOutput::builder()
            .model_package_arn("arn:aws:sagemaker:eu-west-1:111122223333:model-package/g/3")
            .build();
        let event = build(&package, Some("PendingManualApproval"));
        assert_eq!(event["detail-type"], "SageMaker Model Package State Change");
        assert_eq!(event["region"], "eu-west-1");
        assert_eq!(event["account"], "111122223333");
    }
}
