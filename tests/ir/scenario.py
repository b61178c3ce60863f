"""The issue's scenario, built in moto: a suspect instance launched by an Auto Scaling group behind a
target group, with two ENIs (the second sharing the `web` group with a web server), two volumes, an
Elastic IP and an instance role. Also used by benchmarks/ir.py."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import boto3

REGION = "us-east-1"
ACCOUNT = "123456789012"  # moto's default account
AMI = "ami-12c6146b"  # moto's default image id; MOTO_EC2_LOAD_DEFAULT_AMIS=false still accepts it


@dataclass
class Scenario:
    vpc: str
    subnet: str
    app_sg: str
    web_sg: str
    web_server: str
    web_eni: str
    asg: str
    tg_arn: str
    role: str
    profile_arn: str
    suspects: list[dict[str, Any]] = field(default_factory=list)  # {"id", "eni2", "volume2", "eip_alloc", "public_ip"}


def client(service: str, **kw: Any) -> Any:
    return boto3.client(service, **{"region_name": REGION, **kw})


def build(instances: int = 1, *, endpoint_url: str | None = None) -> Scenario:
    kw = {"endpoint_url": endpoint_url} if endpoint_url else {}
    ec2, iam, asc, elb = (client(s, **kw) for s in ("ec2", "iam", "autoscaling", "elbv2"))
    vpc = ec2.create_vpc(CidrBlock="10.20.0.0/16")["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.20.1.0/24", AvailabilityZone=f"{REGION}a")["Subnet"]["SubnetId"]
    app_sg = ec2.create_security_group(GroupName="app", Description="app", VpcId=vpc)["GroupId"]
    web_sg = ec2.create_security_group(GroupName="web", Description="web", VpcId=vpc)["GroupId"]
    ec2.authorize_security_group_ingress(GroupId=web_sg, IpPermissions=[
        {"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}])
    web = ec2.run_instances(ImageId=AMI, MinCount=1, MaxCount=1, InstanceType="t3.micro", SubnetId=subnet,
                            SecurityGroupIds=[web_sg])["Instances"][0]
    web_eni = web["NetworkInterfaces"][0]["NetworkInterfaceId"]
    trust = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"},
                                                      "Action": "sts:AssumeRole"}]}
    iam.create_role(RoleName="app-role", AssumeRolePolicyDocument=json.dumps(trust))
    iam.put_role_policy(RoleName="app-role", PolicyName="read-s3", PolicyDocument=json.dumps(
        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}]}))
    profile_arn = iam.create_instance_profile(InstanceProfileName="app-profile")["InstanceProfile"]["Arn"]
    iam.add_role_to_instance_profile(InstanceProfileName="app-profile", RoleName="app-role")
    tg_arn = elb.create_target_group(Name="app-tg", Protocol="HTTP", Port=80, VpcId=vpc,
                                     TargetType="instance")["TargetGroups"][0]["TargetGroupArn"]
    ec2.create_launch_template(LaunchTemplateName="app-lt", LaunchTemplateData={
        "ImageId": AMI, "InstanceType": "t3.micro", "SecurityGroupIds": [app_sg],
        "IamInstanceProfile": {"Arn": profile_arn}})
    asc.create_auto_scaling_group(AutoScalingGroupName="app-asg", LaunchTemplate={"LaunchTemplateName": "app-lt"},
                                  MinSize=0, MaxSize=instances + 5, DesiredCapacity=instances,
                                  VPCZoneIdentifier=subnet, TargetGroupARNs=[tg_arn])
    ids = sorted(i["InstanceId"] for i in asc.describe_auto_scaling_groups(
        AutoScalingGroupNames=["app-asg"])["AutoScalingGroups"][0]["Instances"])
    sc = Scenario(vpc, subnet, app_sg, web_sg, web["InstanceId"], web_eni, "app-asg", tg_arn, "app-role", profile_arn)
    # moto's ASG registers its instances in the target group; make sure, in case a version does not
    elb.register_targets(TargetGroupArn=tg_arn, Targets=[{"Id": i, "Port": 80} for i in ids])
    for iid in ids:
        inst = ec2.describe_instances(InstanceIds=[iid])["Reservations"][0]["Instances"][0]
        if not ec2.describe_iam_instance_profile_associations(
                Filters=[{"Name": "instance-id", "Values": [iid]}])["IamInstanceProfileAssociations"]:
            ec2.associate_iam_instance_profile(IamInstanceProfile={"Arn": profile_arn}, InstanceId=iid)
        eni2 = ec2.create_network_interface(SubnetId=subnet, Groups=[web_sg, app_sg])["NetworkInterface"]["NetworkInterfaceId"]
        ec2.attach_network_interface(NetworkInterfaceId=eni2, InstanceId=iid, DeviceIndex=1)
        vol2 = ec2.create_volume(AvailabilityZone=inst["Placement"]["AvailabilityZone"], Size=8)["VolumeId"]
        ec2.attach_volume(VolumeId=vol2, InstanceId=iid, Device="/dev/sdb")
        alloc = ec2.allocate_address(Domain="vpc")
        ec2.associate_address(AllocationId=alloc["AllocationId"], InstanceId=iid)
        sc.suspects.append({"id": iid, "eni1": inst["NetworkInterfaces"][0]["NetworkInterfaceId"], "eni2": eni2,
                            "volume2": vol2, "eip_alloc": alloc["AllocationId"], "public_ip": alloc["PublicIp"]})
    return sc


def eni_groups(eni: str, **kw: Any) -> list[str]:
    """The ENI's own security groups.

    moto gap: DescribeNetworkInterfaces reports an attached ENI's groups joined with the groups the
    instance was launched with, so after a swap the primary ENI still "shows" its old group. AWS
    reports the ENI's groups only. Here the ENI's own set is read from moto's backend (same process,
    also under ThreadedMotoServer), and the API's answer is checked to contain it.
    """
    from moto.ec2.models import ec2_backends

    ni = client("ec2", **kw).describe_network_interfaces(NetworkInterfaceIds=[eni])["NetworkInterfaces"][0]
    listed = {g["GroupId"] for g in ni["Groups"]}
    own = sorted(g.id for g in ec2_backends[ACCOUNT][REGION].get_network_interface(eni)._group_set)
    assert set(own) <= listed
    return own


def group_rules(gid: str, **kw: Any) -> tuple[list[Any], list[Any]]:
    g = client("ec2", **kw).describe_security_groups(GroupIds=[gid])["SecurityGroups"][0]
    return g.get("IpPermissions", []), g.get("IpPermissionsEgress", [])
