"""Control families of issue 15 point 2, second half: Redshift, EKS, ElastiCache, OpenSearch,
CloudFront and load balancer TLS. Pure tests over hand-built resources, and live tests under moto
that collect with the real collectors (counting their API calls). Template fixtures are under
tests/fixtures/iac/{cfn,tf}/<control-id>/."""

from __future__ import annotations

from typing import Any

import boto3
import pytest

from railguard.model import Origin, Resource, Result, Unknown
from railguard.sources.aws.session import CallCounter
from tests.controls.test_ec2 import result
from tests.livehelp import live_inventory, results, run_control

TEMPLATE = Origin(file="t.yaml", line=3)


def _tpl(type_: str, **props: Any) -> Resource:
    return Resource(type_, "Res", props, origin=TEMPLATE)


@pytest.fixture(autouse=True)
def _no_managed_policies(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MOTO_IAM_LOAD_MANAGED_POLICIES", "false")


def _calls(counter: CallCounter) -> dict[str, int]:
    """API calls the collectors made (the session's identity and region lookups left out)."""
    return {k: v for k, v in counter.snapshot().items() if not k.startswith(("sts:", "ec2:DescribeRegions"))}


# ---- a. Redshift ------------------------------------------------------------------------------

RS = "AWS::Redshift::Cluster"


def test_redshift_public_and_encrypted() -> None:
    pub, enc = "redshift.publicly-accessible", "redshift.encrypted"
    assert result(pub, _tpl(RS, PubliclyAccessible=True)) == Result.FAIL
    assert result(pub, _tpl(RS, PubliclyAccessible="true")) == Result.FAIL
    assert result(pub, _tpl(RS, PubliclyAccessible=False)) == Result.PASS
    assert result(pub, _tpl(RS)) == Result.PASS  # the API's default
    assert result(pub, _tpl(RS, PubliclyAccessible=Unknown("param Public"))) == Result.UNKNOWN
    assert result(enc, _tpl(RS, Encrypted=True, KmsKeyId="arn:aws:kms:us-east-1:1:key/x")) == Result.PASS
    assert result(enc, _tpl(RS)) == Result.FAIL
    assert result(enc, _tpl(RS, Encrypted=False)) == Result.FAIL
    assert result(enc, _tpl(RS, Encrypted=Unknown("var.encrypted"))) == Result.UNKNOWN


def test_live_redshift_clusters(aws: None) -> None:
    rs = boto3.client("redshift", region_name="us-east-1")
    common = {"NodeType": "ra3.xlplus", "MasterUsername": "admin", "MasterUserPassword": "Not-a-real-pw-1",
              "ClusterType": "single-node"}
    rs.create_cluster(ClusterIdentifier="open", PubliclyAccessible=True, Encrypted=False, **common)
    rs.create_cluster(ClusterIdentifier="closed", PubliclyAccessible=False, Encrypted=True, **common)
    counter = CallCounter()
    inv = live_inventory([RS], counter=counter)
    assert results(run_control("redshift.publicly-accessible", inventory=inv)) == {"open": Result.FAIL,
                                                                                   "closed": Result.PASS}
    assert results(run_control("redshift.encrypted", inventory=inv)) == {"open": Result.FAIL, "closed": Result.PASS}
    assert _calls(counter) == {"redshift:DescribeClusters": 1}


# ---- b. EKS -----------------------------------------------------------------------------------

EKS = "AWS::EKS::Cluster"
PUBLIC, SECRETS = "eks.endpoint-public", "eks.secrets-encrypted"


def _eks(vpc: Any = None, enc: Any = None) -> Resource:
    props: dict[str, Any] = {"Name": "prod", "ResourcesVpcConfig": vpc if vpc is not None else {"SubnetIds": ["s-1"]}}
    if enc is not None:
        props["EncryptionConfig"] = enc
    return _tpl(EKS, **props)


def test_eks_endpoint() -> None:
    assert result(PUBLIC, _eks()) == Result.FAIL  # the API's defaults: public, 0.0.0.0/0
    assert result(PUBLIC, _eks({"EndpointPublicAccess": True, "PublicAccessCidrs": ["::/0"]})) == Result.FAIL
    assert result(PUBLIC, _eks({"EndpointPublicAccess": "false", "EndpointPrivateAccess": True})) == Result.PASS
    restricted = _eks({"EndpointPublicAccess": True, "PublicAccessCidrs": ["203.0.113.0/24"]})
    assert result(PUBLIC, restricted) == Result.PASS
    assert result(PUBLIC, restricted, params={"allow_restricted_cidrs": False}) == Result.FAIL  # as FSBP EKS.1
    assert result(PUBLIC, _eks({"EndpointPublicAccess": Unknown("var.public")})) == Result.UNKNOWN
    assert result(PUBLIC, _eks({"PublicAccessCidrs": [Unknown("var.cidr")]})) == Result.UNKNOWN


def test_eks_secrets_encryption() -> None:
    key = {"KeyArn": "arn:aws:kms:us-east-1:111122223333:key/k"}
    assert result(SECRETS, _eks(enc=[{"Resources": ["secrets"], "Provider": key}])) == Result.PASS
    assert result(SECRETS, _eks()) == Result.FAIL
    assert result(SECRETS, _eks(enc=[])) == Result.FAIL
    assert result(SECRETS, _eks(enc=[{"Resources": ["configmaps"], "Provider": key}])) == Result.FAIL
    assert result(SECRETS, _eks(enc=Unknown("!If unresolved"))) == Result.UNKNOWN
    assert result(SECRETS, _eks(enc=[{"Resources": Unknown("var.kinds"), "Provider": key}])) == Result.UNKNOWN


def test_live_eks_clusters(aws: None) -> None:
    eks = boto3.client("eks", region_name="us-east-1")
    role = "arn:aws:iam::123456789012:role/eks"
    eks.create_cluster(name="open", roleArn=role, resourcesVpcConfig={
        "subnetIds": ["subnet-1"], "endpointPublicAccess": True, "endpointPrivateAccess": False,
        "publicAccessCidrs": ["0.0.0.0/0"]})
    eks.create_cluster(name="closed", roleArn=role, resourcesVpcConfig={
        "subnetIds": ["subnet-1"], "endpointPublicAccess": False, "endpointPrivateAccess": True,
        "publicAccessCidrs": []},
        encryptionConfig=[{"resources": ["secrets"], "provider": {"keyArn": "arn:aws:kms:us-east-1:123456789012:key/k"}}])
    counter = CallCounter()
    inv = live_inventory([EKS], counter=counter)
    assert results(run_control(PUBLIC, inventory=inv)) == {"open": Result.FAIL, "closed": Result.PASS}
    assert results(run_control(SECRETS, inventory=inv)) == {"open": Result.FAIL, "closed": Result.PASS}
    assert _calls(counter) == {"eks:ListClusters": 1, "eks:DescribeCluster": 2}


# ---- c. ElastiCache ---------------------------------------------------------------------------

RG = "AWS::ElastiCache::ReplicationGroup"
TRANSIT, AT_REST, AUTH = ("elasticache.redis-in-transit-encryption", "elasticache.redis-at-rest-encryption",
                          "elasticache.redis-auth")


def test_elasticache_encryption() -> None:
    assert result(TRANSIT, _tpl(RG, TransitEncryptionEnabled=True)) == Result.PASS
    assert result(TRANSIT, _tpl(RG)) == Result.FAIL
    assert result(TRANSIT, _tpl(RG, TransitEncryptionEnabled=True, TransitEncryptionMode="preferred")) == Result.FAIL
    assert result(TRANSIT, _tpl(RG, TransitEncryptionEnabled=Unknown("param Tls"))) == Result.UNKNOWN
    assert result(AT_REST, _tpl(RG, AtRestEncryptionEnabled="true")) == Result.PASS
    assert result(AT_REST, _tpl(RG)) == Result.FAIL
    assert result(AT_REST, _tpl(RG, AtRestEncryptionEnabled=False)) == Result.FAIL


def test_elasticache_auth() -> None:
    assert result(AUTH, _tpl(RG, AuthToken="{{resolve:secretsmanager:redis:SecretString:token}}")) == Result.PASS
    assert result(AUTH, _tpl(RG, UserGroupIds=["app-users"])) == Result.PASS
    assert result(AUTH, _tpl(RG, AuthToken=Unknown("parameter Token has no Default"))) == Result.PASS
    assert result(AUTH, _tpl(RG, AuthToken=Unknown("!If unresolved"))) == Result.UNKNOWN
    assert result(AUTH, _tpl(RG, EngineVersion="7.1")) == Result.FAIL
    # FSBP ElastiCache.6 judges only engines before 6.0
    fsbp = {"exempt_from_version": "6.0"}
    assert result(AUTH, _tpl(RG, EngineVersion="7.1"), params=fsbp) == Result.PASS
    assert result(AUTH, _tpl(RG), params=fsbp) == Result.PASS  # no EngineVersion: the latest engine
    assert result(AUTH, _tpl(RG, EngineVersion="5.0.6"), params=fsbp) == Result.FAIL


def test_live_elasticache_replication_groups(aws: None) -> None:
    ec = boto3.client("elasticache", region_name="us-east-1")
    common = {"CacheNodeType": "cache.t4g.small", "Engine": "redis", "NumCacheClusters": 1}
    ec.create_replication_group(ReplicationGroupId="plain", ReplicationGroupDescription="plain",
                                EngineVersion="5.0.6", **common)
    ec.create_replication_group(ReplicationGroupId="locked", ReplicationGroupDescription="locked",
                                EngineVersion="7.1", TransitEncryptionEnabled=True, AtRestEncryptionEnabled=True,
                                AuthToken="an-example-token-1234567890", **common)
    # moto makes no member clusters: the engine versions come from members made by hand
    for group, version in (("plain", "5.0.6"), ("locked", "7.1")):
        ec.create_cache_cluster(CacheClusterId=f"{group}-001", ReplicationGroupId=group, Engine="redis",
                                EngineVersion=version, CacheNodeType="cache.t4g.small", NumCacheNodes=1)
    counter = CallCounter()
    inv = live_inventory([RG, "AWS::ElastiCache::ReplicationGroup#EngineVersion"], counter=counter)
    for cid in (TRANSIT, AT_REST, AUTH):
        assert results(run_control(cid, inventory=inv)) == {"plain": Result.FAIL, "locked": Result.PASS}, cid
    fsbp = results(run_control(AUTH, inventory=inv, params={"exempt_from_version": "6.0"}))
    assert fsbp == {"plain": Result.FAIL, "locked": Result.PASS}
    assert _calls(counter) == {"elasticache:DescribeReplicationGroups": 1, "elasticache:DescribeCacheClusters": 1}
    # without the AUTH control, the engine versions are not read
    counter = CallCounter()
    live_inventory([RG], counter=counter)
    assert _calls(counter) == {"elasticache:DescribeReplicationGroups": 1}


# ---- d. OpenSearch ----------------------------------------------------------------------------

DOMAIN, ES_DOMAIN = "AWS::OpenSearchService::Domain", "AWS::Elasticsearch::Domain"
EAR, N2N, HTTPS, VPC = ("opensearch.encryption-at-rest", "opensearch.node-to-node-encryption",
                        "opensearch.https-required", "opensearch.domain-in-vpc")


def test_opensearch_encryption_https_vpc() -> None:
    for t in (DOMAIN, ES_DOMAIN):
        assert result(EAR, _tpl(t, EncryptionAtRestOptions={"Enabled": True})) == Result.PASS
        assert result(EAR, _tpl(t)) == Result.FAIL
        assert result(N2N, _tpl(t, NodeToNodeEncryptionOptions={"Enabled": "true"})) == Result.PASS
        assert result(N2N, _tpl(t, NodeToNodeEncryptionOptions={"Enabled": False})) == Result.FAIL
        assert result(VPC, _tpl(t, VPCOptions={"SubnetIds": ["subnet-1"]})) == Result.PASS
        assert result(VPC, _tpl(t)) == Result.FAIL
        assert result(VPC, _tpl(t, VPCOptions={"SubnetIds": Unknown("var.subnets")})) == Result.UNKNOWN
    strict = {"EnforceHTTPS": True, "TLSSecurityPolicy": "Policy-Min-TLS-1-2-PFS-2023-10"}
    assert result(HTTPS, _tpl(DOMAIN, DomainEndpointOptions=strict)) == Result.PASS
    assert result(HTTPS, _tpl(DOMAIN)) == Result.FAIL
    assert result(HTTPS, _tpl(DOMAIN, DomainEndpointOptions={"EnforceHTTPS": True})) == Result.FAIL  # TLS 1.0 default
    assert result(HTTPS, _tpl(DOMAIN, DomainEndpointOptions={**strict, "EnforceHTTPS": False})) == Result.FAIL
    assert result(HTTPS, _tpl(DOMAIN, DomainEndpointOptions={**strict, "TLSSecurityPolicy": Unknown("p")})) \
        == Result.UNKNOWN
    only_pfs = {"tls_policies": ["Policy-Min-TLS-1-2-PFS-2023-10"]}
    assert result(HTTPS, _tpl(DOMAIN, DomainEndpointOptions={**strict, "TLSSecurityPolicy": "Policy-Min-TLS-1-2-2019-07"}),
                  params=only_pfs) == Result.FAIL


def test_live_opensearch_domains(aws: None) -> None:
    os_ = boto3.client("opensearch", region_name="us-east-1")
    os_.create_domain(DomainName="loose", EngineVersion="OpenSearch_2.11")
    os_.create_domain(DomainName="tight", EngineVersion="OpenSearch_2.11",
                      VPCOptions={"SubnetIds": ["subnet-1"], "SecurityGroupIds": ["sg-1"]},
                      EncryptionAtRestOptions={"Enabled": True}, NodeToNodeEncryptionOptions={"Enabled": True},
                      DomainEndpointOptions={"EnforceHTTPS": True,
                                             "TLSSecurityPolicy": "Policy-Min-TLS-1-2-PFS-2023-10"})
    counter = CallCounter()
    inv = live_inventory([DOMAIN], counter=counter)
    for cid in (EAR, N2N, HTTPS, VPC):
        assert results(run_control(cid, inventory=inv)) == {"loose": Result.FAIL, "tight": Result.PASS}, cid
    assert _calls(counter) == {"opensearch:ListDomainNames": 1, "opensearch:DescribeDomains": 1}


# ---- e. CloudFront ----------------------------------------------------------------------------

CF = "AWS::CloudFront::Distribution"
CF_HTTPS, CF_TLS, CF_WAF = "cloudfront.viewer-https-required", "cloudfront.viewer-tls-1-2", "cloudfront.waf-enabled"
ACM = "arn:aws:acm:us-east-1:111122223333:certificate/abc"


def _cdn(default: str = "redirect-to-https", ordered: tuple[str, ...] = ("https-only",), cert: Any = None,
         acl: Any = "arn:aws:wafv2:us-east-1:111122223333:global/webacl/edge/1") -> Resource:
    cfg: dict[str, Any] = {
        "Enabled": True,
        "DefaultCacheBehavior": {"ViewerProtocolPolicy": default},
        "CacheBehaviors": [{"PathPattern": f"/p{i}/*", "ViewerProtocolPolicy": p} for i, p in enumerate(ordered)],
        "ViewerCertificate": cert if cert is not None else {"AcmCertificateArn": ACM, "SslSupportMethod": "sni-only",
                                                            "MinimumProtocolVersion": "TLSv1.2_2021"},
    }
    if acl is not None:
        cfg["WebACLId"] = acl
    return _tpl(CF, DistributionConfig=cfg)


def test_cloudfront_viewer_protocol() -> None:
    assert result(CF_HTTPS, _cdn()) == Result.PASS
    assert result(CF_HTTPS, _cdn(default="allow-all")) == Result.FAIL
    assert result(CF_HTTPS, _cdn(ordered=("https-only", "allow-all"))) == Result.FAIL
    assert result(CF_HTTPS, _cdn(ordered=(Unknown("param Policy"),))) == Result.UNKNOWN
    # a known HTTP path settles it even when another is unknown
    assert result(CF_HTTPS, _cdn(default="allow-all", ordered=(Unknown("param Policy"),))) == Result.FAIL


def test_cloudfront_viewer_tls() -> None:
    assert result(CF_TLS, _cdn()) == Result.PASS
    assert result(CF_TLS, _cdn(cert={"CloudFrontDefaultCertificate": True})) == Result.FAIL
    assert result(CF_TLS, _cdn(cert={})) == Result.FAIL  # no certificate: the default one
    assert result(CF_TLS, _cdn(cert={"AcmCertificateArn": ACM, "MinimumProtocolVersion": "TLSv1_2016"})) == Result.FAIL
    assert result(CF_TLS, _cdn(cert={"AcmCertificateArn": ACM})) == Result.FAIL  # default TLSv1
    assert result(CF_TLS, _cdn(cert={"IamCertificateId": "ASCA1", "MinimumProtocolVersion": "TLSv1.2_2019"})) \
        == Result.PASS
    assert result(CF_TLS, _cdn(cert={"AcmCertificateArn": Unknown("parameter Cert has no Default"),
                                     "MinimumProtocolVersion": "TLSv1.2_2021"})) == Result.PASS
    assert result(CF_TLS, _cdn(cert={"AcmCertificateArn": Unknown("!If unresolved")})) == Result.UNKNOWN


def test_cloudfront_waf() -> None:
    assert result(CF_WAF, _cdn()) == Result.PASS
    assert result(CF_WAF, _cdn(acl=None)) == Result.FAIL
    assert result(CF_WAF, _cdn(acl="")) == Result.FAIL
    assert result(CF_WAF, _cdn(acl=Unknown("!If unresolved"))) == Result.UNKNOWN


def _distribution(cf: Any, ref: str, policy: str, cert: dict[str, Any], acl: str) -> str:
    forwarded = {"QueryString": False, "Cookies": {"Forward": "none"}}
    cfg = {"CallerReference": ref, "Comment": ref, "Enabled": True,
           "Origins": {"Quantity": 1, "Items": [{"Id": "o", "DomainName": "site.example.com",
                                                "CustomOriginConfig": {"HTTPPort": 80, "HTTPSPort": 443,
                                                                       "OriginProtocolPolicy": "https-only"}}]},
           "DefaultCacheBehavior": {"TargetOriginId": "o", "ViewerProtocolPolicy": policy,
                                    "ForwardedValues": forwarded, "MinTTL": 0},
           "ViewerCertificate": cert, "WebACLId": acl}
    return str(cf.create_distribution(DistributionConfig=cfg)["Distribution"]["Id"])


def test_live_cloudfront_distributions(aws: None) -> None:
    cf = boto3.client("cloudfront", region_name="us-east-1")
    loose = _distribution(cf, "loose", "allow-all", {"CloudFrontDefaultCertificate": True}, "")
    tight = _distribution(cf, "tight", "redirect-to-https",
                          {"ACMCertificateArn": "arn:aws:acm:us-east-1:123456789012:certificate/x",
                           "SSLSupportMethod": "sni-only", "MinimumProtocolVersion": "TLSv1.2_2021"},
                          "arn:aws:wafv2:us-east-1:123456789012:global/webacl/edge/1")
    counter = CallCounter()
    inv = live_inventory([CF], counter=counter)
    for cid in (CF_HTTPS, CF_TLS, CF_WAF):
        assert results(run_control(cid, inventory=inv)) == {loose: Result.FAIL, tight: Result.PASS}, cid
    assert _calls(counter) == {"cloudfront:ListDistributions": 1}


# ---- f. Load balancers ------------------------------------------------------------------------

LISTENER, ALB, CLASSIC = ("AWS::ElasticLoadBalancingV2::Listener", "AWS::ElasticLoadBalancingV2::LoadBalancer",
                          "AWS::ElasticLoadBalancing::LoadBalancer")
TLS_POLICY, HEADERS, NO_TLS = "elb.listener-tls-policy-outdated", "elb.alb-drop-invalid-headers", "elb.listener-without-tls"


def test_listener_tls_policy() -> None:
    for policy in ("ELBSecurityPolicy-TLS13-1-2-2021-06", "ELBSecurityPolicy-TLS-1-2-Ext-2018-06",
                   "ELBSecurityPolicy-FS-1-2-Res-2020-10", "ELBSecurityPolicy-TLS13-1-3-2021-06",
                   "ELBSecurityPolicy-TLS13-1-2-FIPS-2023-04"):
        assert result(TLS_POLICY, _tpl(LISTENER, Protocol="HTTPS", Port=443, SslPolicy=policy)) == Result.PASS, policy
    for policy in ("ELBSecurityPolicy-2016-08", "ELBSecurityPolicy-TLS-1-1-2017-01", "ELBSecurityPolicy-FS-2018-06",
                   "ELBSecurityPolicy-TLS13-1-0-2021-06", "ELBSecurityPolicy-TLS13-1-1-2021-06",
                   "ELBSecurityPolicy-FS-1-1-2019-08"):
        assert result(TLS_POLICY, _tpl(LISTENER, Protocol="TLS", Port=443, SslPolicy=policy)) == Result.FAIL, policy
    assert result(TLS_POLICY, _tpl(LISTENER, Protocol="HTTPS", Port=443)) == Result.FAIL  # the API default
    assert result(TLS_POLICY, _tpl(LISTENER, Protocol="HTTPS", SslPolicy=Unknown("param Policy"))) == Result.UNKNOWN
    assert result(TLS_POLICY, _tpl(LISTENER, Protocol="HTTPS", SslPolicy="ELBSecurityPolicy-2016-08"),
                  params={"allowed_policies": ["ELBSecurityPolicy-2016-08"]}) == Result.PASS

    assert _out_of_scope(TLS_POLICY, _tpl(LISTENER, Protocol="HTTP", Port=80))  # elb.listener-without-tls judges it


def _out_of_scope(control_id: str, r: Resource) -> bool:
    from railguard.controls import Context, get_control
    from railguard.model import Inventory

    return get_control(control_id)(r, Context(Inventory([r]), get_control(control_id).params, place="iac")) is None


def test_alb_drop_invalid_headers() -> None:
    attr = "routing.http.drop_invalid_header_fields.enabled"
    assert result(HEADERS, _tpl(ALB, LoadBalancerAttributes=[{"Key": attr, "Value": "true"}])) == Result.PASS
    assert result(HEADERS, _tpl(ALB, Type="application", LoadBalancerAttributes=[{"Key": attr, "Value": False}])) \
        == Result.FAIL
    assert result(HEADERS, _tpl(ALB)) == Result.FAIL  # the attribute defaults to false
    assert result(HEADERS, _tpl(ALB, LoadBalancerAttributes=[{"Key": attr, "Value": Unknown("param Drop")}])) \
        == Result.UNKNOWN
    assert result(HEADERS, _tpl(ALB, LoadBalancerAttributes=Unknown("not collected"))) == Result.UNKNOWN
    assert _out_of_scope(HEADERS, _tpl(ALB, Type="network"))


def test_live_load_balancers(aws: None) -> None:
    ec2 = boto3.client("ec2", region_name="us-east-1")
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    subnets = [ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.0.{i}.0/24", AvailabilityZone=f"us-east-1{z}")["Subnet"]
               ["SubnetId"] for i, z in ((1, "a"), (2, "b"))]
    cert = boto3.client("acm", region_name="us-east-1").request_certificate(DomainName="example.com")["CertificateArn"]
    elb = boto3.client("elbv2", region_name="us-east-1")
    tg = elb.create_target_group(Name="web", Protocol="HTTP", Port=80, VpcId=vpc)["TargetGroups"][0]["TargetGroupArn"]
    arns = {}
    for name, policy in (("old", "ELBSecurityPolicy-2016-08"), ("new", "ELBSecurityPolicy-TLS13-1-2-2021-06")):
        lb = elb.create_load_balancer(Name=name, Subnets=subnets)["LoadBalancers"][0]["LoadBalancerArn"]
        arns[name] = elb.create_listener(LoadBalancerArn=lb, Protocol="HTTPS", Port=443, SslPolicy=policy,
                                         Certificates=[{"CertificateArn": cert}],
                                         DefaultActions=[{"Type": "forward", "TargetGroupArn": tg}])["Listeners"][0]
        if name == "new":
            elb.modify_load_balancer_attributes(LoadBalancerArn=lb, Attributes=[
                {"Key": "routing.http.drop_invalid_header_fields.enabled", "Value": "true"}])
            clear = elb.create_listener(LoadBalancerArn=lb, Protocol="HTTP", Port=8080,
                                        DefaultActions=[{"Type": "forward", "TargetGroupArn": tg}])["Listeners"][0]
    boto3.client("elb", region_name="us-east-1").create_load_balancer(
        LoadBalancerName="classic", Listeners=[{"Protocol": "HTTP", "LoadBalancerPort": 80, "InstancePort": 80}],
        AvailabilityZones=["us-east-1a"])
    counter = CallCounter()
    inv = live_inventory([LISTENER, ALB, "AWS::ElasticLoadBalancingV2::LoadBalancer#Attributes", CLASSIC],
                         counter=counter)
    tls = {f.resource_id: f.result for f in run_control(TLS_POLICY, inventory=inv)}
    assert tls == {arns["old"]["ListenerArn"]: Result.FAIL, arns["new"]["ListenerArn"]: Result.PASS}
    assert results(run_control(HEADERS, inventory=inv)) == {"old": Result.FAIL, "new": Result.PASS}
    clear_text = {f.resource_id: f.result for f in run_control(NO_TLS, inventory=inv)}
    assert clear_text == {arns["old"]["ListenerArn"]: Result.PASS, arns["new"]["ListenerArn"]: Result.PASS,
                          clear["ListenerArn"]: Result.FAIL, "classic": Result.FAIL}
    v2 = "elastic-load-balancing-v2"
    assert _calls(counter) == {f"{v2}:DescribeLoadBalancers": 1, f"{v2}:DescribeListeners": 2,
                               f"{v2}:DescribeLoadBalancerAttributes": 2,
                               "elastic-load-balancing:DescribeLoadBalancers": 1}
    # only the load balancers: no listener or attribute call
    counter = CallCounter()
    live_inventory([ALB], counter=counter)
    assert _calls(counter) == {f"{v2}:DescribeLoadBalancers": 1}


def test_live_failed_per_resource_calls_are_unknown_never_pass(aws: None, monkeypatch: pytest.MonkeyPatch) -> None:
    """A per-resource call that fails (here: a cluster gone between list and describe, an
    attributes call refused) leaves that resource UNKNOWN with the reason; the scan goes on."""
    from moto.eks.exceptions import ResourceNotFoundException
    from moto.eks.models import EKSBackend
    from moto.elbv2.models import ELBv2Backend

    eks = boto3.client("eks", region_name="us-east-1")
    eks.create_cluster(name="gone", roleArn="arn:aws:iam::123456789012:role/eks",
                       resourcesVpcConfig={"subnetIds": ["subnet-1"], "endpointPublicAccess": False})

    def vanished(self: Any, name: str) -> Any:
        raise ResourceNotFoundException(clusterName=name, nodegroupName=None, fargateProfileName=None,
                                        addonName=None, message="No cluster found for name: gone.")

    monkeypatch.setattr(EKSBackend, "describe_cluster", vanished)
    inv = live_inventory([EKS])
    for cid in (PUBLIC, SECRETS):
        (f,) = run_control(cid, inventory=inv)
        assert f.result == Result.UNKNOWN and "DescribeCluster" in f.reason, f.reason

    ec2 = boto3.client("ec2", region_name="us-east-1")
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    subnets = [ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.0.{i}.0/24", AvailabilityZone=f"us-east-1{z}")["Subnet"]
               ["SubnetId"] for i, z in ((1, "a"), (2, "b"))]
    boto3.client("elbv2", region_name="us-east-1").create_load_balancer(Name="web", Subnets=subnets)

    def refused(self: Any, *args: Any, **kwargs: Any) -> Any:
        raise ResourceNotFoundException(clusterName=None, nodegroupName=None, fargateProfileName=None,
                                        addonName=None, message="refused")

    monkeypatch.setattr(ELBv2Backend, "describe_load_balancer_attributes", refused)
    inv = live_inventory([ALB, "AWS::ElasticLoadBalancingV2::LoadBalancer#Attributes"])
    (f,) = run_control(HEADERS, inventory=inv)
    assert f.result == Result.UNKNOWN and "DescribeLoadBalancerAttributes" in f.reason, f.reason
