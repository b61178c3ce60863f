"""aws_* -> CloudFormation shape, one type (or fold) at a time."""

from __future__ import annotations

from railguard.model import Unknown

from .helpers import load, of, one


def test_security_group_inline_rules_one_entry_per_cidr(tmp_path):
    ld = load(tmp_path, '''
resource "aws_security_group" "web" {
  name        = "web"
  description = "web tier"
  vpc_id      = "vpc-1"
  ingress {
    from_port        = 22
    to_port          = 22
    protocol         = "tcp"
    cidr_blocks      = ["0.0.0.0/0", "10.0.0.0/8"]
    ipv6_cidr_blocks = ["::/0"]
    description      = "ssh"
  }
  ingress {
    from_port = 0
    to_port   = 0
    protocol  = "all"
    self      = true
  }
  egress {
    from_port   = 0
    to_port     = 0
    protocol    = "-1"
    cidr_blocks = ["0.0.0.0/0"]
  }
}''')
    sg = one(ld, "AWS::EC2::SecurityGroup")
    assert sg.id == "aws_security_group.web" and sg.name == "web"
    assert sg.origin.line == 2 and sg.origin.file.endswith("main.tf")
    assert sg.get("GroupDescription") == "web tier"
    ing = sg.get("SecurityGroupIngress")
    assert ing[:3] == [
        {"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "Description": "ssh", "CidrIp": "0.0.0.0/0"},
        {"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "Description": "ssh", "CidrIp": "10.0.0.0/8"},
        {"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "Description": "ssh", "CidrIpv6": "::/0"},
    ]
    assert ing[3] == {"IpProtocol": "-1", "SourceSecurityGroupId": "aws_security_group.web"}
    assert sg.get("SecurityGroupEgress") == [{"IpProtocol": "-1", "CidrIp": "0.0.0.0/0"}]


def test_security_group_rule_kinds_fold_into_group(tmp_path):
    ld = load(tmp_path, '''
resource "aws_security_group" "g" { name = "g" }
resource "aws_security_group_rule" "ssh" {
  type              = "ingress"
  security_group_id = aws_security_group.g.id
  from_port         = 22
  to_port           = 22
  protocol          = "tcp"
  cidr_blocks       = ["0.0.0.0/0"]
}
resource "aws_security_group_rule" "out" {
  type              = "egress"
  security_group_id = aws_security_group.g.id
  from_port         = 0
  to_port           = 0
  protocol          = "-1"
  cidr_blocks       = ["0.0.0.0/0"]
}
resource "aws_vpc_security_group_ingress_rule" "rdp" {
  security_group_id = aws_security_group.g.id
  cidr_ipv6         = "::/0"
  from_port         = 3389
  to_port           = 3389
  ip_protocol       = "tcp"
}
resource "aws_vpc_security_group_egress_rule" "all" {
  security_group_id = aws_security_group.g.id
  cidr_ipv4         = "10.0.0.0/8"
  ip_protocol       = "-1"
}''')
    sg = one(ld, "AWS::EC2::SecurityGroup")
    assert sg.get("SecurityGroupIngress") == [
        {"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "CidrIp": "0.0.0.0/0"},
        {"IpProtocol": "tcp", "FromPort": 3389, "ToPort": 3389, "CidrIpv6": "::/0"},
    ]
    assert sg.get("SecurityGroupEgress") == [
        {"IpProtocol": "-1", "CidrIp": "0.0.0.0/0"},
        {"IpProtocol": "-1", "CidrIp": "10.0.0.0/8"},
    ]
    assert len(ld.resources) == 1


def test_rule_for_a_group_outside_the_config_is_a_group_of_its_own(tmp_path):
    ld = load(tmp_path, '''
resource "aws_security_group_rule" "ssh" {
  type              = "ingress"
  security_group_id = "sg-123"
  from_port         = 22
  to_port           = 22
  protocol          = "tcp"
  cidr_blocks       = ["0.0.0.0/0"]
}''')
    r = one(ld, "AWS::EC2::SecurityGroup")  # as CloudFormation's loader does for a stand-alone rule
    assert r.get("GroupId") == "sg-123" and r.get("SecurityGroupIngress.0.CidrIp") == "0.0.0.0/0"


def test_network_acl_inline_and_rule_resources(tmp_path):
    ld = load(tmp_path, '''
resource "aws_network_acl" "a" {
  vpc_id = "vpc-1"
  ingress {
    protocol   = "tcp"
    rule_no    = 100
    action     = "allow"
    cidr_block = "0.0.0.0/0"
    from_port  = 22
    to_port    = 22
  }
  egress {
    protocol   = "-1"
    rule_no    = 200
    action     = "allow"
    cidr_block = "0.0.0.0/0"
    from_port  = 0
    to_port    = 0
  }
}
resource "aws_network_acl_rule" "r" {
  network_acl_id = aws_network_acl.a.id
  rule_number    = 110
  egress         = false
  protocol       = "udp"
  rule_action    = "DENY"
  cidr_block     = "0.0.0.0/0"
  from_port      = 3389
  to_port        = 3389
}''')
    acl = one(ld, "AWS::EC2::NetworkAcl")
    assert acl.get("VpcId") == "vpc-1"
    entries = {r.id: r for r in of(ld, "AWS::EC2::NetworkAclEntry")}
    assert dict(entries["aws_network_acl.a.ingress[0]"].properties) == {
        "NetworkAclId": "aws_network_acl.a", "RuleNumber": 100, "Protocol": 6, "RuleAction": "allow",
        "Egress": False, "CidrBlock": "0.0.0.0/0", "PortRange": {"From": 22, "To": 22},
    }
    eg = entries["aws_network_acl.a.egress[0]"]
    assert eg.get("Protocol") == -1 and eg.get("Egress") is True and eg.get("PortRange") is None
    assert eg.origin.line == 12
    r = entries["aws_network_acl_rule.r"]
    assert r.get("Protocol") == 17 and r.get("RuleAction") == "deny" and r.get("NetworkAclId") == "aws_network_acl.a"


def test_vpc_and_flow_log_reference(tmp_path):
    ld = load(tmp_path, '''
resource "aws_vpc" "main" { cidr_block = "10.0.0.0/16" }
resource "aws_flow_log" "f" {
  vpc_id       = aws_vpc.main.id
  traffic_type = "REJECT"
  log_destination = "arn:aws:s3:::logs"
  log_destination_type = "s3"
}''')
    vpc = one(ld, "AWS::EC2::VPC")
    fl = one(ld, "AWS::EC2::FlowLog")
    assert fl.get("ResourceId") == vpc.id == "aws_vpc.main"
    assert fl.get("ResourceType") == "VPC" and fl.get("TrafficType") == "REJECT"


def test_instance_and_launch_template(tmp_path):
    ld = load(tmp_path, '''
resource "aws_instance" "i" {
  ami                         = "ami-1"
  instance_type               = "t3.micro"
  iam_instance_profile        = aws_iam_instance_profile.p.name
  associate_public_ip_address = true
  metadata_options {
    http_tokens   = "required"
    http_endpoint = "enabled"
  }
  root_block_device { encrypted = true }
}
resource "aws_iam_instance_profile" "p" { name = "prof" }
resource "aws_launch_template" "lt" {
  name = "lt"
  metadata_options { http_tokens = "optional" }
  iam_instance_profile { name = "prof" }
}''')
    i = one(ld, "AWS::EC2::Instance")
    assert i.get("MetadataOptions") == {"HttpTokens": "required", "HttpEndpoint": "enabled"}
    assert i.get("IamInstanceProfile") == "prof"
    assert i.get("NetworkInterfaces.0.AssociatePublicIpAddress") is True
    assert i.get("BlockDeviceMappings.0.Ebs.Encrypted") is True
    lt = one(ld, "AWS::EC2::LaunchTemplate")
    assert lt.get("LaunchTemplateData.MetadataOptions.HttpTokens") == "optional"
    assert lt.get("LaunchTemplateData.IamInstanceProfile.Name") == "prof"


def test_instance_from_launch_template_is_judged_by_the_template(tmp_path):
    from railguard.controls import IAC, get_control
    from railguard.engine.evaluate import evaluate
    from railguard.engine.plan import PlannedControl
    from railguard.model import Inventory, Result

    ld = load(tmp_path, '''
resource "aws_launch_template" "lt" {
  name = "app"
  metadata_options {
    http_tokens = "required"
  }
}
resource "aws_instance" "i" {
  launch_template {
    id      = aws_launch_template.lt.id
    version = "$Latest"
  }
}''')
    i = one(ld, "AWS::EC2::Instance")
    assert i.get("LaunchTemplate") == {"LaunchTemplateId": "aws_launch_template.lt", "Version": "$Latest"}
    c = get_control("ec2.imdsv2-required")
    (f,) = evaluate([PlannedControl(c, dict(c.params))], Inventory(ld.resources), place=IAC)
    assert f.result == Result.PASS, f.reason


def test_ebs_volume_and_default_encryption(tmp_path):
    ld = load(tmp_path, '''
resource "aws_ebs_volume" "v" {
  availability_zone = "us-east-1a"
  size = 10
}
resource "aws_ebs_volume" "e" {
  availability_zone = "us-east-1a"
  encrypted  = true
  kms_key_id = aws_kms_key.k.arn
}
resource "aws_kms_key" "k" {}
resource "aws_ebs_encryption_by_default" "d" {}''')
    assert one(ld, "AWS::EC2::Volume", "aws_ebs_volume.v").get("Encrypted") is False
    e = one(ld, "AWS::EC2::Volume", "aws_ebs_volume.e")
    assert e.get("Encrypted") is True and e.get("KmsKeyId") == "aws_kms_key.k"
    assert one(ld, "RailGuard::EC2::EbsEncryptionByDefault").get("EbsEncryptionByDefault") is True


def test_s3_split_resources_fold_into_bucket(tmp_path):
    ld = load(tmp_path, '''
resource "aws_s3_bucket" "b" { bucket = "data-bucket" }
resource "aws_s3_bucket_public_access_block" "b" {
  bucket                  = aws_s3_bucket.b.id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}
resource "aws_s3_bucket_server_side_encryption_configuration" "b" {
  bucket = aws_s3_bucket.b.bucket
  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm     = "aws:kms"
      kms_master_key_id = aws_kms_key.k.arn
    }
  }
}
resource "aws_kms_key" "k" { enable_key_rotation = true }
resource "aws_s3_bucket_versioning" "b" {
  bucket = aws_s3_bucket.b.id
  versioning_configuration { status = "Enabled" }
}
resource "aws_s3_bucket_logging" "b" {
  bucket        = aws_s3_bucket.b.id
  target_bucket = "log-bucket"
  target_prefix = "data/"
}
resource "aws_s3_bucket_acl" "b" {
  bucket = "data-bucket"
  acl    = "public-read"
}''')
    b = one(ld, "AWS::S3::Bucket")
    assert b.name == "data-bucket" and b.arn == "arn:aws:s3:::data-bucket"
    assert b.get("PublicAccessBlockConfiguration") == {
        "BlockPublicAcls": True, "BlockPublicPolicy": True, "IgnorePublicAcls": True, "RestrictPublicBuckets": True}
    assert b.get("BucketEncryption.ServerSideEncryptionConfiguration") == [
        {"ServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": "aws_kms_key.k"}}]
    assert b.get("VersioningConfiguration.Status") == "Enabled"
    assert b.get("LoggingConfiguration") == {"DestinationBucketName": "log-bucket", "LogFilePrefix": "data/"}
    assert b.get("AccessControl") == "PublicRead"
    assert {r.type for r in ld.resources} == {"AWS::S3::Bucket", "AWS::KMS::Key"}


def test_s3_legacy_inline_blocks(tmp_path):
    ld = load(tmp_path, '''
resource "aws_s3_bucket" "b" {
  bucket = "legacy"
  acl    = "private"
  versioning { enabled = true }
  logging { target_bucket = "logs" }
  server_side_encryption_configuration {
    rule {
      apply_server_side_encryption_by_default { sse_algorithm = "AES256" }
    }
  }
  policy = <<POLICY
{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::legacy/*"}]}
POLICY
}''')
    b = one(ld, "AWS::S3::Bucket")
    assert b.get("AccessControl") == "Private"
    assert b.get("VersioningConfiguration.Status") == "Enabled"
    assert b.get("LoggingConfiguration.DestinationBucketName") == "logs"
    assert b.get("BucketEncryption.ServerSideEncryptionConfiguration.0.ServerSideEncryptionByDefault.SSEAlgorithm") == "AES256"
    p = one(ld, "AWS::S3::BucketPolicy")
    assert p.get("Bucket") == "legacy" and p.get("PolicyDocument.Statement.0.Action") == "s3:GetObject"


def test_bucket_policy_forms(tmp_path):
    ld = load(tmp_path, '''
resource "aws_s3_bucket" "named" { bucket = "named" }
resource "aws_s3_bucket" "anon" {}
resource "aws_s3_bucket_policy" "json" {
  bucket = aws_s3_bucket.named.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect = "Deny", Principal = "*", Action = "s3:*"
      Resource = [aws_s3_bucket.named.arn, "${aws_s3_bucket.named.arn}/*"]
      Condition = { Bool = { "aws:SecureTransport" = "false" } }
    }]
  })
}
data "aws_iam_policy_document" "d" {
  statement {
    effect  = "Deny"
    actions = ["s3:*"]
    principals {
      type        = "*"
      identifiers = ["*"]
    }
    resources = ["${aws_s3_bucket.anon.arn}/*"]
    condition {
      test     = "Bool"
      variable = "aws:SecureTransport"
      values   = ["false"]
    }
  }
}
resource "aws_s3_bucket_policy" "doc" {
  bucket = aws_s3_bucket.anon.id
  policy = data.aws_iam_policy_document.d.json
}
resource "aws_s3_bucket_policy" "unknown" {
  bucket = aws_s3_bucket.named.id
  policy = data.aws_iam_policy_document.missing.json
}''')
    j = one(ld, "AWS::S3::BucketPolicy", "aws_s3_bucket_policy.json")
    assert j.get("Bucket") == "named"
    assert j.get("PolicyDocument.Statement.0.Resource") == ["arn:aws:s3:::named", "arn:aws:s3:::named/*"]
    d = one(ld, "AWS::S3::BucketPolicy", "aws_s3_bucket_policy.doc")
    assert d.get("Bucket") == "aws_s3_bucket.anon"  # no name: the bucket's address
    st = d.get("PolicyDocument.Statement.0")
    assert st == {"Effect": "Deny", "Action": "s3:*", "Principal": "*", "Resource": "arn:aws:s3:::aws_s3_bucket.anon/*",
                  "Condition": {"Bool": {"aws:SecureTransport": "false"}}}
    u = one(ld, "AWS::S3::BucketPolicy", "aws_s3_bucket_policy.unknown")
    assert isinstance(u.get_raw("PolicyDocument"), Unknown)


def test_s3_account_public_access_block(tmp_path):
    ld = load(tmp_path, 'resource "aws_s3_account_public_access_block" "a" { block_public_acls = true }')
    r = one(ld, "RailGuard::S3::AccountPublicAccessBlock")
    assert r.get("BlockPublicAcls") is True and r.get("RestrictPublicBuckets") is False


def test_databases_storage_messaging(tmp_path):
    ld = load(tmp_path, '''
resource "aws_db_instance" "db" {
  identifier = "prod-db"
  engine     = "postgres"
  instance_class = "db.t3.micro"
}
resource "aws_efs_file_system" "fs" { encrypted = true }
resource "aws_dynamodb_table" "t" {
  name = "t"
  server_side_encryption {
    enabled     = true
    kms_key_arn = "arn:aws:kms:us-east-1:111122223333:key/1"
  }
}
resource "aws_sns_topic" "t" {
  name = "t"
  kms_master_key_id = "alias/aws/sns"
}
resource "aws_sqs_queue" "q" {
  name = "q"
  sqs_managed_sse_enabled = true
}''')
    db = one(ld, "AWS::RDS::DBInstance")
    assert db.name == "prod-db"
    assert dict(db.properties) == {
        "StorageEncrypted": False, "PubliclyAccessible": False, "AutoMinorVersionUpgrade": True, "MultiAZ": False,
        "DBInstanceIdentifier": "prod-db", "Engine": "postgres", "DBInstanceClass": "db.t3.micro"}
    assert one(ld, "AWS::EFS::FileSystem").get("Encrypted") is True
    t = one(ld, "AWS::DynamoDB::Table")
    assert t.get("SSESpecification") == {
        "SSEEnabled": True, "KMSMasterKeyId": "arn:aws:kms:us-east-1:111122223333:key/1", "SSEType": "KMS"}
    assert one(ld, "AWS::SNS::Topic").get("KmsMasterKeyId") == "alias/aws/sns"
    assert one(ld, "AWS::SQS::Queue").get("SqsManagedSseEnabled") is True


def test_kms_key_and_policy(tmp_path):
    ld = load(tmp_path, '''
resource "aws_kms_key" "k" {
  enable_key_rotation = true
  policy = jsonencode({ Statement = [{ Effect = "Allow", Principal = { AWS = "*" }, Action = "kms:*", Resource = "*" }] })
}''')
    k = one(ld, "AWS::KMS::Key")
    assert k.get("EnableKeyRotation") is True and k.get("KeySpec") == "SYMMETRIC_DEFAULT"
    assert k.get("KeyPolicy.Statement.0.Principal.AWS") == "*"


def test_cloudtrail(tmp_path):
    ld = load(tmp_path, '''
resource "aws_cloudtrail" "t" {
  name                       = "main"
  s3_bucket_name             = aws_s3_bucket.logs.id
  is_multi_region_trail      = true
  enable_log_file_validation = true
  kms_key_id                 = aws_kms_key.k.arn
  cloud_watch_logs_group_arn = "${aws_cloudwatch_log_group.g.arn}:*"
  event_selector {
    read_write_type = "All"
    data_resource {
      type   = "AWS::S3::Object"
      values = ["arn:aws:s3"]
    }
  }
}
resource "aws_s3_bucket" "logs" { bucket = "trail-logs" }
resource "aws_kms_key" "k" {}
resource "aws_cloudwatch_log_group" "g" { name = "trail" }''')
    t = one(ld, "AWS::CloudTrail::Trail")
    assert t.get("IsMultiRegionTrail") is True and t.get("EnableLogFileValidation") is True
    assert t.get("IsLogging") is True and t.get("KMSKeyId") == "aws_kms_key.k"
    assert t.get("S3BucketName") == "trail-logs"  # a bucket's Terraform id is its name
    assert t.get("CloudWatchLogsLogGroupArn") == "aws_cloudwatch_log_group.g:*"
    assert t.get("EventSelectors") == [{"ReadWriteType": "All", "IncludeManagementEvents": True,
                                        "DataResources": [{"Type": "AWS::S3::Object", "Values": ["arn:aws:s3"]}]}]


def test_iam_principals_policies_and_attachments(tmp_path):
    ld = load(tmp_path, r'''
resource "aws_iam_user" "alice" { name = "alice" }
resource "aws_iam_group" "admins" { name = "admins" }
resource "aws_iam_role" "r" {
  name = "app"
  assume_role_policy = jsonencode({ Statement = [{ Effect = "Allow", Principal = { Service = "ec2.amazonaws.com" }, Action = "sts:AssumeRole" }] })
}
resource "aws_iam_policy" "admin" {
  name   = "admin"
  policy = jsonencode({ Version = "2012-10-17", Statement = [{ Effect = "Allow", Action = "*", Resource = "*" }] })
}
resource "aws_iam_user_policy" "inline" {
  name   = "inline"
  user   = aws_iam_user.alice.name
  policy = jsonencode({ Statement = [{ Effect = "Allow", Action = "s3:*", Resource = "*" }] })
}
resource "aws_iam_role_policy" "rp" {
  role   = aws_iam_role.r.id
  policy = "{\"Statement\": []}"
}
resource "aws_iam_user_policy_attachment" "a" {
  user       = aws_iam_user.alice.name
  policy_arn = aws_iam_policy.admin.arn
}
resource "aws_iam_group_policy_attachment" "g" {
  group      = aws_iam_group.admins.name
  policy_arn = "arn:aws:iam::aws:policy/AdministratorAccess"
}
resource "aws_iam_policy_attachment" "multi" {
  name       = "multi"
  roles      = [aws_iam_role.r.name]
  policy_arn = aws_iam_policy.admin.arn
}
resource "aws_iam_user_login_profile" "lp" { user = aws_iam_user.alice.name }
resource "aws_iam_account_password_policy" "pp" {
  minimum_password_length   = 14
  password_reuse_prevention = 24
}''')
    alice = one(ld, "AWS::IAM::User")
    assert alice.get("Policies") == [{"PolicyName": "inline", "PolicyDocument": {
        "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]}}]
    assert alice.get("ManagedPolicyArns") == ["aws_iam_policy.admin"]
    assert alice.get("LoginProfile") == {"PasswordResetRequired": False}
    assert one(ld, "AWS::IAM::Group").get("ManagedPolicyArns") == ["arn:aws:iam::aws:policy/AdministratorAccess"]
    role = one(ld, "AWS::IAM::Role")
    assert role.get("AssumeRolePolicyDocument.Statement.0.Action") == "sts:AssumeRole"
    assert role.get("Policies.0.PolicyDocument") == {"Statement": []}
    assert role.get("ManagedPolicyArns") == ["aws_iam_policy.admin"]
    mp = one(ld, "AWS::IAM::ManagedPolicy")
    assert mp.get("PolicyDocument.Statement.0.Action") == "*"
    assert mp.get("Users") == ["alice"] and mp.get("Roles") == ["app"]
    pp = one(ld, "RailGuard::IAM::AccountPasswordPolicy")
    assert pp.get("MinimumPasswordLength") == 14 and pp.get("PasswordReusePrevention") == 24
    assert not [r for r in ld.resources if r.type.startswith("Terraform::")]


def test_inline_policy_for_unknown_user_becomes_iam_policy(tmp_path):
    ld = load(tmp_path, '''
resource "aws_iam_user_policy" "p" {
  user   = "bob"
  policy = jsonencode({ Statement = [{ Effect = "Allow", Action = "*", Resource = "*" }] })
}''')
    p = one(ld, "AWS::IAM::Policy")
    assert p.get("Users") == ["bob"] and p.get("PolicyDocument.Statement.0.Action") == "*"


def test_lambda_ecs_listener(tmp_path):
    ld = load(tmp_path, '''
resource "aws_lambda_function" "f" {
  function_name = "f"
  role          = "arn:aws:iam::111122223333:role/x"
  environment {
    variables = { DB_PASSWORD = "hunter2", MODE = "prod" }
  }
}
resource "aws_ecs_task_definition" "t" {
  family       = "t"
  network_mode = "host"
  container_definitions = jsonencode([{
    name = "app", image = "nginx", privileged = true, readonlyRootFilesystem = false
    environment = [{ name = "API_KEY", value = "abc" }]
    logConfiguration = { logDriver = "awslogs", options = { "awslogs-group" = "g" } }
  }])
}
resource "aws_lb_listener" "http" {
  load_balancer_arn = "arn:lb"
  port     = 80
  protocol = "HTTP"
  default_action {
    type = "redirect"
    redirect {
      port        = "443"
      protocol    = "HTTPS"
      status_code = "HTTP_301"
    }
  }
}
resource "aws_alb_listener" "https" {
  load_balancer_arn = "arn:lb"
  port            = "443"
  protocol        = "HTTPS"
  certificate_arn = "arn:cert"
}''')
    f = one(ld, "AWS::Lambda::Function")
    assert f.get("Environment.Variables") == {"DB_PASSWORD": "hunter2", "MODE": "prod"}
    t = one(ld, "AWS::ECS::TaskDefinition")
    assert t.get("NetworkMode") == "host"
    c = t.get("ContainerDefinitions.0")
    assert c["Privileged"] is True and c["ReadonlyRootFilesystem"] is False
    assert c["Environment"] == [{"Name": "API_KEY", "Value": "abc"}]
    assert c["LogConfiguration"] == {"LogDriver": "awslogs", "Options": {"awslogs-group": "g"}}
    http = one(ld, "AWS::ElasticLoadBalancingV2::Listener", "aws_lb_listener.http")
    assert http.get("Protocol") == "HTTP" and http.get("Port") == 80
    assert http.get("DefaultActions.0.RedirectConfig") == {"StatusCode": "HTTP_301", "Protocol": "HTTPS", "Port": "443"}
    https = one(ld, "AWS::ElasticLoadBalancingV2::Listener", "aws_alb_listener.https")
    assert https.get("Port") == 443 and https.get("Certificates") == [{"CertificateArn": "arn:cert"}]


def test_ecs_container_definitions_from_heredoc(tmp_path):
    ld = load(tmp_path, '''
resource "aws_ecs_task_definition" "t" {
  family = "t"
  container_definitions = <<-DEFS
    [{"name": "app", "image": "app:1", "user": "root"}]
  DEFS
}''')
    assert one(ld, "AWS::ECS::TaskDefinition").get("ContainerDefinitions") == [{"Name": "app", "Image": "app:1", "User": "root"}]


def test_monitoring_types(tmp_path):
    ld = load(tmp_path, r'''
resource "aws_vpc_peering_connection" "p" {
  vpc_id        = "vpc-1"
  peer_vpc_id   = "vpc-2"
  peer_owner_id = "999988887777"
}
resource "aws_config_configuration_recorder" "r" {
  name     = "default"
  role_arn = "arn:role"
  recording_group {
    all_supported                 = true
    include_global_resource_types = true
  }
}
resource "aws_guardduty_detector" "d" { enable = true }
resource "aws_cloudwatch_log_metric_filter" "mf" {
  name           = "root"
  pattern        = "{ $.userIdentity.type = \"Root\" }"
  log_group_name = "trail"
  metric_transformation {
    name      = "RootUsage"
    namespace = "CIS"
    value     = "1"
  }
}
resource "aws_cloudwatch_metric_alarm" "a" {
  alarm_name          = "root"
  metric_name         = "RootUsage"
  namespace           = "CIS"
  comparison_operator = "GreaterThanOrEqualToThreshold"
  evaluation_periods  = 1
  threshold           = 1
  alarm_actions       = [aws_sns_topic.t.arn]
}
resource "aws_sns_topic" "t" { name = "alerts" }''')
    assert one(ld, "AWS::EC2::VPCPeeringConnection").get("PeerOwnerId") == "999988887777"
    assert one(ld, "AWS::Config::ConfigurationRecorder").get("RecordingGroup") == {
        "AllSupported": True, "IncludeGlobalResourceTypes": True}
    assert one(ld, "AWS::GuardDuty::Detector").get("Enable") is True
    mf = one(ld, "AWS::Logs::MetricFilter")
    assert mf.get("FilterPattern") == '{ $.userIdentity.type = "Root" }'
    assert mf.get("MetricTransformations") == [{"MetricName": "RootUsage", "MetricNamespace": "CIS", "MetricValue": "1"}]
    a = one(ld, "AWS::CloudWatch::Alarm")
    assert a.name == "root" and a.get("AlarmActions") == ["aws_sns_topic.t"]


def test_unmapped_types_are_kept(tmp_path):
    ld = load(tmp_path, '''
resource "aws_route53_zone" "z" {
  name = "example.com"
  vpc { vpc_id = "vpc-1" }
}''')
    z = one(ld, "Terraform::aws_route53_zone")
    assert z.get("name") == "example.com" and z.get("vpc") == [{"vpc_id": "vpc-1"}]


def test_policy_document_source_and_override_documents(tmp_path):
    ld = load(tmp_path, '''
data "aws_iam_policy_document" "base" {
  statement {
    sid       = "Read"
    actions   = ["s3:GetObject"]
    resources = ["*"]
  }
}
data "aws_iam_policy_document" "final" {
  source_policy_documents   = [data.aws_iam_policy_document.base.json]
  override_policy_documents = [jsonencode({ Statement = [{ Sid = "Read", Effect = "Allow", Action = "*", Resource = "*" }] })]
  statement {
    sid       = "List"
    actions   = ["s3:ListBucket"]
    resources = ["*"]
    principals {
      type        = "AWS"
      identifiers = ["arn:aws:iam::111122223333:root"]
    }
  }
}
resource "aws_iam_policy" "p" {
  name   = "p"
  policy = data.aws_iam_policy_document.final.json
}''')
    st = one(ld, "AWS::IAM::ManagedPolicy").get("PolicyDocument.Statement")
    assert st == [
        {"Sid": "Read", "Effect": "Allow", "Action": "*", "Resource": "*"},
        {"Sid": "List", "Effect": "Allow", "Action": "s3:ListBucket", "Resource": "*",
         "Principal": {"AWS": "arn:aws:iam::111122223333:root"}},
    ]


def test_secret_bearing_types(tmp_path):
    ld = load(tmp_path, '''
resource "aws_elasticache_replication_group" "r" {
  replication_group_id = "cache"
  description          = "cache"
  auth_token           = "Xk9mQ2vLp7tR4wZ8aa"
}
resource "aws_mq_broker" "mq" {
  broker_name = "mq"
  user {
    username = "admin"
    password = "Xk9mQ2vLp7tR4wZ8"
  }
}
resource "aws_glue_connection" "g" {
  name = "jdbc"
  connection_properties = { USERNAME = "app", PASSWORD = "Xk9mQ2vLp7tR4wZ8" }
}
resource "aws_redshift_cluster" "rs" {
  cluster_identifier = "dw"
  master_password    = "Xk9mQ2vLp7tR4wZ8"
}
resource "aws_directory_service_directory" "ad" {
  name     = "corp.example.com"
  password = "Xk9mQ2vLp7tR4wZ8"
  type     = "MicrosoftAD"
}''')
    assert one(ld, "AWS::ElastiCache::ReplicationGroup").get("AuthToken") == "Xk9mQ2vLp7tR4wZ8aa"
    assert one(ld, "AWS::AmazonMQ::Broker").get("Users") == [{"Username": "admin", "Password": "Xk9mQ2vLp7tR4wZ8"}]
    assert one(ld, "AWS::Glue::Connection").get("ConnectionInput.ConnectionProperties.PASSWORD") == "Xk9mQ2vLp7tR4wZ8"
    rs = one(ld, "AWS::Redshift::Cluster")
    assert rs.name == "dw" and rs.get("MasterUserPassword") and rs.get("Encrypted") is False
    assert one(ld, "AWS::DirectoryService::MicrosoftAD").get("Password")


def test_split_s3_resource_id_is_its_bucket(tmp_path):
    ld = load(tmp_path, '''
resource "aws_s3_bucket" "b" { bucket = "chained" }
resource "aws_s3_bucket_policy" "p" {
  bucket = aws_s3_bucket.b.id
  policy = "{}"
}
resource "aws_s3_bucket_ownership_controls" "o" {
  bucket = aws_s3_bucket_policy.p.id
  rule { object_ownership = "BucketOwnerEnforced" }
}''')
    assert one(ld, "AWS::S3::Bucket").get("OwnershipControls.Rules.0.ObjectOwnership") == "BucketOwnerEnforced"


def test_s3_acl_grants_and_ownership_controls(tmp_path):
    ld = load(tmp_path, '''
resource "aws_s3_bucket" "b" { bucket = "grants" }
resource "aws_s3_bucket_ownership_controls" "b" {
  bucket = aws_s3_bucket.b.id
  rule { object_ownership = "ObjectWriter" }
}
resource "aws_s3_bucket_acl" "b" {
  bucket = aws_s3_bucket.b.id
  access_control_policy {
    grant {
      grantee {
        type = "Group"
        uri  = "http://acs.amazonaws.com/groups/global/AllUsers"
      }
      permission = "READ"
    }
    owner { id = "abc" }
  }
}''')
    b = one(ld, "AWS::S3::Bucket")
    assert b.get("AccessControl") == "PublicRead"
    assert b.get("OwnershipControls") == {"Rules": [{"ObjectOwnership": "ObjectWriter"}]}


def test_launch_configuration(tmp_path):
    ld = load(tmp_path, '''
resource "aws_launch_configuration" "lc" {
  name                        = "web"
  image_id                    = "ami-1"
  instance_type               = "t3.micro"
  iam_instance_profile        = "prof"
  associate_public_ip_address = false
  security_groups             = ["sg-1"]
  metadata_options {
    http_tokens   = "required"
    http_endpoint = "enabled"
  }
}
resource "aws_launch_configuration" "bare" {
  image_id      = "ami-1"
  instance_type = "t3.micro"
}''')
    lc = one(ld, "AWS::AutoScaling::LaunchConfiguration", "aws_launch_configuration.lc")
    assert lc.get("MetadataOptions") == {"HttpTokens": "required", "HttpEndpoint": "enabled"}
    assert lc.get("ImageId") == "ami-1" and lc.get("IamInstanceProfile") == "prof"
    assert lc.get("AssociatePublicIpAddress") is False and lc.get("SecurityGroups") == ["sg-1"]
    assert lc.get("LaunchConfigurationName") == "web"
    bare = one(ld, "AWS::AutoScaling::LaunchConfiguration", "aws_launch_configuration.bare")
    assert bare.get("MetadataOptions") is None
