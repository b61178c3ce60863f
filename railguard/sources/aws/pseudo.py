"""Resource types with no CloudFormation counterpart: account-wide and region-wide settings.

They are resources like any other so that one control, one finding and one gap model serve
them. Each is produced once per account (region GLOBAL) or once per account+region.
"""

# one per account: `live` holds the scanned regions under "regions"
ACCOUNT = "RailGuard::AWS::Account"
# one per scanned account+region
REGION = "RailGuard::AWS::Region"
# root user facts from the credential report and account summary (`live`: see iam collector)
ROOT_ACCOUNT = "RailGuard::IAM::RootAccount"
# properties: the shape of GetAccountPasswordPolicy's PasswordPolicy (MinimumPasswordLength, ...);
# `live.exists` False when the account has no policy
PASSWORD_POLICY = "RailGuard::IAM::AccountPasswordPolicy"
# IAM server certificates (properties: ServerCertificateName, Expiration ISO string)
SERVER_CERTIFICATE = "AWS::IAM::ServerCertificate"
# per region: properties {"EbsEncryptionByDefault": bool, "KmsKeyId": str}
EBS_DEFAULT_ENCRYPTION = "RailGuard::EC2::EbsEncryptionByDefault"
# per account: properties = PublicAccessBlockConfiguration shape; `live.exists`
S3_ACCOUNT_PUBLIC_ACCESS_BLOCK = "RailGuard::S3::AccountPublicAccessBlock"
# per region: Security Hub subscription (properties {"HubArn", "SubscribedAt"})
SECURITY_HUB = "AWS::SecurityHub::Hub"
# SNS subscriptions (properties shape of AWS::SNS::Subscription: TopicArn, Protocol, Endpoint)
SNS_SUBSCRIPTION = "AWS::SNS::Subscription"
