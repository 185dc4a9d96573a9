//! Container image URI of the SageMaker built-in XGBoost algorithm, per region.
//!
//! The region -> registry account table is copied from the SageMaker Python SDK
//! (`aws/sagemaker-python-sdk`, file `src/sagemaker/image_uri_config/xgboost.json`,
//! the version stored at commit `02ed3cbfd8f1c519f8a829b545bb78a47a538546`). In that file
//! every `sagemaker-xgboost` version (0.90-1, 0.90-2, 1.0-1, 1.2-1, 1.2-2, 1.3-1, 1.5-1,
//! 1.7-1 for training and inference, plus 2.1-0 for inference) shares one identical
//! `registries` table, so one table serves them all. (The legacy algorithm version "1",
//! repository `xgboost`, uses other accounts and is not covered here.)
//!
//! It is a table compiled into the binary, not a runtime lookup, because the Lambda
//! functions cannot reach the SDK's config over the network at runtime (and do not run
//! Python). When AWS opens a new region, copy its row from the SDK file.
//!
//! Domain rules: the SDK asks botocore's endpoint data for the ECR hostname; the SDK's own
//! unit tests (`tests/unit/sagemaker/image_uris/expected_uris.py`, `ALTERNATE_DOMAINS`)
//! spell the result out as `amazonaws.com.cn` for the China regions, `c2s.ic.gov` for
//! us-iso-east-1, `sc2s.sgov.gov` for us-isob-east-1 and `amazonaws.com` elsewhere
//! (GovCloud included). The SDK table also lists us-isof-east-1 and us-isof-south-1; no
//! suffix rule for that partition appears in the SDK's code, so those two regions are
//! left out of the table rather than given a guessed domain.
//!
//! Tag note: the SDK tags the CPU-only versions 0.90-1, 0.90-2 and 1.0-1 as
//! `<version>-cpu-py3` (e.g. `1.0-1-cpu-py3`); for those, pass that full tag as `version`.

/// Default DNS suffix of the `aws` and `aws-us-gov` partitions.
const DEFAULT_DNS_SUFFIX: &str = "amazonaws.com";

/// Repository of the built-in XGBoost framework image (versions 0.90-1 and later).
const XGBOOST_REPOSITORY: &str = "sagemaker-xgboost";

/// Registry account of the built-in XGBoost image, per region.
///
/// Sorted by region (byte order) with no duplicates, so lookups can binary-search it;
/// the unit tests enforce both.
const XGBOOST_ACCOUNTS: &[(&str, &str)] = &[
    ("af-south-1", "510948584623"),
    ("ap-east-1", "651117190479"),
    ("ap-northeast-1", "354813040037"),
    ("ap-northeast-2", "366743142698"),
    ("ap-northeast-3", "867004704886"),
    ("ap-south-1", "720646828776"),
    ("ap-south-2", "628508329040"),
    ("ap-southeast-1", "121021644041"),
    ("ap-southeast-2", "783357654285"),
    ("ap-southeast-3", "951798379941"),
    ("ap-southeast-4", "106583098589"),
    ("ca-central-1", "341280168497"),
    ("ca-west-1", "190319476487"),
    ("cn-north-1", "450853457545"),
    ("cn-northwest-1", "451049120500"),
    ("eu-central-1", "492215442770"),
    ("eu-central-2", "680994064768"),
    ("eu-north-1", "662702820516"),
    ("eu-south-1", "978288397137"),
    ("eu-south-2", "104374241257"),
    ("eu-west-1", "141502667606"),
    ("eu-west-2", "764974769150"),
    ("eu-west-3", "659782779980"),
    ("il-central-1", "898809789911"),
    ("me-central-1", "272398656194"),
    ("me-south-1", "801668240914"),
    ("sa-east-1", "737474898029"),
    ("us-east-1", "683313688378"),
    ("us-east-2", "257758044811"),
    ("us-gov-east-1", "237065988967"),
    ("us-gov-west-1", "414596584902"),
    ("us-iso-east-1", "833128469047"),
    ("us-isob-east-1", "281123927165"),
    ("us-west-1", "746614075791"),
    ("us-west-2", "246618743249"),
];

/// Registry account that hosts the XGBoost image in `region`, if SageMaker serves it there.
fn account_for(region: &str) -> Option<&'static str> {
    XGBOOST_ACCOUNTS
        .binary_search_by(|(candidate, _)| (*candidate).cmp(region))
        .ok()
        .and_then(|index| XGBOOST_ACCOUNTS.get(index))
        .map(|(_, account)| *account)
}

/// URI of the built-in XGBoost image for `version` (the image tag, e.g. `1.7-1`) in `region`:
/// `<account>.dkr.ecr.<region>.<dns suffix>/sagemaker-xgboost:<version>`.
///
/// Returns `None` when the region is not in the table or the version is empty.
#[must_use]
pub fn xgboost_image_uri(region: &str, version: &str) -> Option<String> {
    if version.is_empty() {
        return None;
    }
    let account = account_for(region)?;
    Some(format!(
        "{account}.dkr.ecr.{region}.{suffix}/{XGBOOST_REPOSITORY}:{version}",
        suffix = dns_suffix(region),
    ))
}

/// DNS suffix of the AWS partition that `region` belongs to.
///
/// China (`cn-*`) is `amazonaws.com.cn`, US ISO (`us-iso-*`) is `c2s.ic.gov`, US ISOB
/// (`us-isob-*`) is `sc2s.sgov.gov`; everything else, GovCloud included, is
/// `amazonaws.com`. Other isolated partitions (e.g. `us-isof-*`) are not modelled and fall
/// back to `amazonaws.com`; no table region is in them, so no image URI uses that fallback.
#[must_use]
pub fn dns_suffix(region: &str) -> &'static str {
    if region.starts_with("cn-") {
        "amazonaws.com.cn"
    } else if region.starts_with("us-isob-") {
        "sc2s.sgov.gov"
    } else if region.starts_with("us-iso-") {
        "c2s.ic.gov"
    } else {
        DEFAULT_DNS_SUFFIX
    }
}

/// Regions where the built-in XGBoost image is available, in table (sorted) order.
pub fn supported_regions() -> impl Iterator<Item = &'static str> {
    XGBOOST_ACCOUNTS.iter().map(|(region, _)| *region)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn given_us_east_1_when_building_uri_then_matches_sdk_exactly() {
        assert_eq!(
            xgboost_image_uri("us-east-1", "1.7-1"),
            Some("683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.7-1".to_owned())
        );
    }

    #[test]
    fn given_eu_west_1_when_building_uri_then_uses_its_account() {
        assert_eq!(
            xgboost_image_uri("eu-west-1", "1.7-1"),
            Some("141502667606.dkr.ecr.eu-west-1.amazonaws.com/sagemaker-xgboost:1.7-1".to_owned())
        );
    }

    #[test]
    fn given_ap_southeast_2_when_building_uri_then_uses_its_account() {
        assert_eq!(
            xgboost_image_uri("ap-southeast-2", "1.5-1"),
            Some(
                "783357654285.dkr.ecr.ap-southeast-2.amazonaws.com/sagemaker-xgboost:1.5-1"
                    .to_owned()
            )
        );
    }

    #[test]
    fn given_china_regions_when_building_uri_then_uses_cn_domain() {
        assert_eq!(
            xgboost_image_uri("cn-north-1", "1.7-1"),
            Some(
                "450853457545.dkr.ecr.cn-north-1.amazonaws.com.cn/sagemaker-xgboost:1.7-1"
                    .to_owned()
            )
        );
        assert_eq!(
            xgboost_image_uri("cn-northwest-1", "1.7-1"),
            Some(
                "451049120500.dkr.ecr.cn-northwest-1.amazonaws.com.cn/sagemaker-xgboost:1.7-1"
                    .to_owned()
            )
        );
    }

    #[test]
    fn given_govcloud_region_when_building_uri_then_uses_commercial_domain() {
        assert_eq!(
            xgboost_image_uri("us-gov-west-1", "1.7-1"),
            Some(
                "414596584902.dkr.ecr.us-gov-west-1.amazonaws.com/sagemaker-xgboost:1.7-1"
                    .to_owned()
            )
        );
    }

    #[test]
    fn given_iso_regions_when_building_uri_then_uses_iso_domains() {
        assert_eq!(
            xgboost_image_uri("us-iso-east-1", "1.7-1"),
            Some(
                "833128469047.dkr.ecr.us-iso-east-1.c2s.ic.gov/sagemaker-xgboost:1.7-1".to_owned()
            )
        );
        assert_eq!(
            xgboost_image_uri("us-isob-east-1", "1.7-1"),
            Some(
                "281123927165.dkr.ecr.us-isob-east-1.sc2s.sgov.gov/sagemaker-xgboost:1.7-1"
                    .to_owned()
            )
        );
    }

    #[test]
    fn given_unknown_region_when_building_uri_then_none() {
        assert_eq!(xgboost_image_uri("xx-nowhere-1", "1.7-1"), None);
        assert_eq!(xgboost_image_uri("", "1.7-1"), None);
        assert_eq!(xgboost_image_uri("US-EAST-1", "1.7-1"), None);
    }

    #[test]
    fn given_region_without_known_suffix_rule_when_building_uri_then_none() {
        assert_eq!(xgboost_image_uri("us-isof-south-1", "1.7-1"), None);
        assert_eq!(xgboost_image_uri("us-isof-east-1", "1.7-1"), None);
    }

    #[test]
    fn given_empty_version_when_building_uri_then_none() {
        assert_eq!(xgboost_image_uri("us-east-1", ""), None);
    }

    #[test]
    fn given_regions_when_asking_dns_suffix_then_partition_suffix() {
        assert_eq!(dns_suffix("us-east-1"), "amazonaws.com");
        assert_eq!(dns_suffix("us-gov-east-1"), "amazonaws.com");
        assert_eq!(dns_suffix("cn-north-1"), "amazonaws.com.cn");
        assert_eq!(dns_suffix("cn-northwest-1"), "amazonaws.com.cn");
        assert_eq!(dns_suffix("us-iso-east-1"), "c2s.ic.gov");
        assert_eq!(dns_suffix("us-isob-east-1"), "sc2s.sgov.gov");
    }

    #[test]
    fn given_table_when_checking_order_then_strictly_sorted_without_duplicates() {
        for pair in XGBOOST_ACCOUNTS.windows(2) {
            if let [(first, _), (second, _)] = pair {
                assert!(first < second, "{first} must sort strictly before {second}");
            }
        }
    }

    #[test]
    fn given_table_when_checking_accounts_then_every_account_is_twelve_digits() {
        for (region, account) in XGBOOST_ACCOUNTS {
            assert_eq!(account.len(), 12, "account of {region}");
            assert!(
                account.bytes().all(|byte| byte.is_ascii_digit()),
                "account of {region} must be digits only"
            );
        }
    }

    #[test]
    fn given_supported_regions_when_listed_then_each_yields_a_uri() {
        let regions: Vec<&str> = supported_regions().collect();
        assert_eq!(regions.len(), XGBOOST_ACCOUNTS.len());
        assert_eq!(regions.len(), 35);
        for region in regions {
            assert!(xgboost_image_uri(region, "1.7-1").is_some(), "{region}");
        }
    }
}
