//! `modelreg event`: the EventBridge "SageMaker Model Package State Change" event of a version,
//! as SageMaker emits it. The local emulator emits none, so the demo and operators replaying a
//! decision build it from DescribeModelPackage.

use aws_sdk_sagemaker::operation::describe_model_package::DescribeModelPackageOutput;

/// Region and account of a SageMaker ARN (`arn:<partition>:sagemaker:<region>:<account>:...`).
pub fn region_and_account(package: &DescribeModelPackageOutput) -> (String, String) {
    let arn = package.model_package_arn().unwrap_or_default();
    let mut parts = arn.split(':').skip(3);
    let region = parts.next().unwrap_or_default().to_string();
    let account = parts.next().unwrap_or_default().to_string();
    (region, account)
}

/// The event of `package`'s last change: its creation, or (with `previous_status`) the change
/// of its approval status from that one.
pub fn build(package: &DescribeModelPackageOutput, previous_status: Option<&str>) -> serde_json::Value {
    let (region, account) = region_and_account(package);
    registry::approval::state_change_event(package, previous_status, &region, &account)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn given_package_arn_when_split_then_region_and_account() {
        let package = DescribeModelPackageOutput::builder()
            .model_package_arn("arn:aws:sagemaker:eu-west-1:111122223333:model-package/g/3")
            .build();
        assert_eq!(region_and_account(&package), ("eu-west-1".to_string(), "111122223333".to_string()));
        let event = build(&package, Some("PendingManualApproval"));
        assert_eq!(event["detail-type"], "SageMaker Model Package State Change");
        assert_eq!(event["region"], "eu-west-1");
    }
}
