"""What each serverless resource expands to (the plain ROS a stack is planned from)."""

from __future__ import annotations

import pytest

from rosengine.transform.serverless.service import FUN_LD_LIBRARY_PATH, FUN_PATH
from tests.support.serverless_templates import expand, resources, types

DOC_EXAMPLE = """\
Resources:
  MyService:
    Type: 'Aliyun::Serverless::Service'
    Properties:
      Policies:
        - AliyunFCReadOnlyAccess
        - Version: '1'
          Statement:
            - Effect: Allow
              Action:
                - oss:GetObject
                - oss:GetObjectACL
              Resource: '*'
    MyFunction:
      Type: 'Aliyun::Serverless::Function'
      Properties:
        Handler: index.handler
        Runtime: nodejs6
        CodeUri: 'oss://testBucket/myCode.zip'
"""


def test_the_documented_example_expands_as_ros_shows_it(tmp_path):
    """The example of ROS's Transform page: role + attachment + service + function."""
    template = expand(tmp_path, DOC_EXAMPLE)
    out = resources(template)
    assert "Transform" not in template.data and template.transform == "Aliyun::Serverless-2018-04-03"
    assert list(out) == [
        "MyServiceRole",
        "AliyunFCReadOnlyAccessMyServiceRole",
        "MyService",
        "MyServiceMyFunction",
    ]
    role = out["MyServiceRole"]
    assert role["Type"] == "ALIYUN::RAM::Role"
    props = role["Properties"]
    assert props["RoleName"] == {
        "Fn::Sub": "${ALIYUN::StackName}-MyServiceRole-" + props["RoleName"]["Fn::Sub"][-12:]
    }
    assert props["Description"] == "Function Compute default role"
    assert props["AssumeRolePolicyDocument"]["Statement"] == [
        {"Action": "sts:AssumeRole", "Effect": "Allow", "Principal": {"Service": ["fc.aliyuncs.com"]}}
    ]
    (inline,) = props["Policies"]
    assert inline["PolicyName"] == {"Fn::Sub": props["RoleName"]["Fn::Sub"] + "Policy1"}
    assert inline["PolicyDocument"]["Statement"] == [
        {"Effect": "Allow", "Action": ["oss:GetObject", "oss:GetObjectACL"], "Resource": ["*"]}
    ]
    assert out["AliyunFCReadOnlyAccessMyServiceRole"] == {
        "Type": "ALIYUN::RAM::AttachPolicyToRole",
        "Properties": {
            "PolicyName": "AliyunFCReadOnlyAccess",
            "PolicyType": "System",
            "RoleName": {"Fn::GetAtt": ["MyServiceRole", "RoleName"]},
        },
        "DependsOn": ["MyServiceRole"],
    }
    service = out["MyService"]
    assert service["Type"] == "ALIYUN::FC::Service"
    assert service["Properties"]["Role"] == {"Fn::GetAtt": ["MyServiceRole", "Arn"]}
    assert service["Properties"]["LogConfig"] == {"Project": "", "Logstore": ""}
    assert service["Properties"]["InternetAccess"] is True
    assert service["Properties"]["ServiceName"]["Fn::Sub"].startswith("${ALIYUN::StackName}-MyService-")
    assert service["DependsOn"] == ["MyServiceRole", "AliyunFCReadOnlyAccessMyServiceRole"]
    function = out["MyServiceMyFunction"]
    assert function["Type"] == "ALIYUN::FC::Function" and function["DependsOn"] == ["MyService"]
    fprops = function["Properties"]
    assert fprops["FunctionName"] == "MyFunction"
    assert fprops["ServiceName"] == {"Fn::GetAtt": ["MyService", "ServiceName"]}
    assert fprops["Code"] == {"OssBucketName": "testBucket", "OssObjectName": "myCode.zip"}
    assert fprops["EnvironmentVariables"] == {
        "PATH": FUN_PATH,
        "LD_LIBRARY_PATH": FUN_LD_LIBRARY_PATH,
        "PYTHONUSERBASE": "/code/.fun/python",
    }
    # The values ROS's example shows.
    assert FUN_PATH.startswith("/code/.fun/root/usr/local/bin:") and FUN_PATH.endswith(":/sbin:/bin")
    assert FUN_LD_LIBRARY_PATH.endswith(":/code:/code/lib:/usr/local/lib")
    assert (fprops["Handler"], fprops["Runtime"]) == ("index.handler", "nodejs6")


def test_a_service_with_a_role_gets_no_generated_role(tmp_path):
    template = expand(
        tmp_path,
        """\
        Resources:
          svc:
            Type: Aliyun::Serverless::Service
            Properties:
              Role: acs:ram::123:role/mine
              Policies: [AliyunOSSFullAccess]
              InternetAccess: false
              TracingConfig: Enable
              ServiceName: fixed-name
        """,
    )
    assert types(template) == {"svc": "ALIYUN::FC::Service"}
    props = resources(template)["svc"]["Properties"]
    assert props["Role"] == "acs:ram::123:role/mine" and props["InternetAccess"] is False
    assert props["TracingConfig"] == {"Type": "Jaeger"} and props["ServiceName"] == "fixed-name"


def test_vpc_access_gets_a_role_with_the_eni_policy(tmp_path):
    template = expand(
        tmp_path,
        """\
        Resources:
          svc:
            Type: Aliyun::Serverless::Service
            Properties:
              VpcConfig: {VpcId: vpc-1, VSwitchIds: [vsw-1], SecurityGroupId: sg-1}
        """,
    )
    out = resources(template)
    assert out["AliyunECSNetworkInterfaceManagementAccesssvcRole"]["Properties"]["PolicyName"] == (
        "AliyunECSNetworkInterfaceManagementAccess"
    )
    assert out["svc"]["Properties"]["VpcConfig"] == {
        "VpcId": "vpc-1",
        "VSwitchIds": ["vsw-1"],
        "SecurityGroupId": "sg-1",
    }
    assert "Policies" not in out["svcRole"]["Properties"]


def test_nas_auto_generates_network_file_system_and_mount(tmp_path):
    template = expand(
        tmp_path,
        """\
        Resources:
          svc:
            Type: Aliyun::Serverless::Service
            Properties:
              NasConfig: Auto
        """,
    )
    assert types(template) == {
        "svcVpc": "ALIYUN::ECS::VPC",
        "svcVSwitch": "ALIYUN::ECS::VSwitch",
        "svcSecurityGroup": "ALIYUN::ECS::SecurityGroup",
        "svcFileSystem": "ALIYUN::NAS::FileSystem",
        "svcMountTarget": "ALIYUN::NAS::MountTarget",
        "svcRole": "ALIYUN::RAM::Role",
        "AliyunECSNetworkInterfaceManagementAccesssvcRole": "ALIYUN::RAM::AttachPolicyToRole",
        "AliyunNASFullAccesssvcRole": "ALIYUN::RAM::AttachPolicyToRole",
        "svc": "ALIYUN::FC::Service",
    }
    props = resources(template)["svc"]["Properties"]
    assert props["VpcConfig"] == {
        "VpcId": {"Ref": "svcVpc"},
        "VSwitchIds": [{"Ref": "svcVSwitch"}],
        "SecurityGroupId": {"Ref": "svcSecurityGroup"},
    }
    assert props["NasConfig"] == {
        "UserId": 10003,
        "GroupId": 10003,
        "MountPoints": [
            {
                "ServerAddr": {"Fn::Join": ["", [{"Ref": "svcMountTarget"}, ":/", "svc"]]},
                "MountDir": "/mnt/auto",
            }
        ],
    }
    assert resources(template)["svcMountTarget"]["Properties"]["VSwitchId"] == {"Ref": "svcVSwitch"}


def test_log_config_auto_generates_a_project_and_logstore(tmp_path):
    template = expand(
        tmp_path,
        """\
        Resources:
          svc:
            Type: Aliyun::Serverless::Service
            Properties: {LogConfig: Auto}
        """,
    )
    out = resources(template)
    assert out["svc"]["Properties"]["LogConfig"] == {
        "Project": {"Fn::GetAtt": ["svcLogProject", "Name"]},
        "Logstore": {"Fn::GetAtt": ["svcLogstore", "LogstoreName"]},
    }
    assert out["svcLogstore"]["Type"] == "ALIYUN::SLS::Logstore"


def test_function_properties_custom_runtime_container_and_environment(tmp_path):
    (tmp_path / "code").mkdir()
    template = expand(
        tmp_path,
        """\
        Resources:
          svc:
            Type: Aliyun::Serverless::Service
            web:
              Type: Aliyun::Serverless::Function
              Properties:
                Handler: index.handler
                Runtime: custom
                CodeUri: ./code
                Initializer: index.init
                InitializationTimeout: 20
                Timeout: 60
                MemorySize: 512
                InstanceConcurrency: 10
                CAPort: 9000
                Layers: ['acs:fc:cn-hangzhou:123:layers/deps/versions/1']
                EnvironmentVariables:
                  PATH: /opt/bin
                  COUNT: 3
                  DEBUG: true
            image:
              Type: Aliyun::Serverless::Function
              Properties:
                Runtime: custom-container
                CustomContainerConfig: {Image: 'registry.example.com/app:1'}
        """,
    )
    out = resources(template)
    web = out["svcweb"]["Properties"]
    for key, value in {
        "Initializer": "index.init",
        "InitializationTimeout": 20,
        "Timeout": 60,
        "MemorySize": 512,
        "InstanceConcurrency": 10,
        "CAPort": 9000,
        "Layers": ["acs:fc:cn-hangzhou:123:layers/deps/versions/1"],
        "Runtime": "custom",
    }.items():
        assert web[key] == value, key
    assert web["Code"]["LocalPath"] == "code" and web["Code"]["IgnoreFile"] == ".funignore"
    env = web["EnvironmentVariables"]
    assert env["PATH"].startswith("/opt/bin:/code/.fun/root/usr/local/bin") and (
        env["COUNT"],
        env["DEBUG"],
    ) == ("3", "true")
    image = out["svcimage"]["Properties"]
    assert "Code" not in image and image["CustomContainerConfig"] == {"Image": "registry.example.com/app:1"}
    assert image["Handler"] and "PATH" not in (image.get("EnvironmentVariables") or {})


EVENTS = [
    (
        "Timer",
        {"CronExpression": "0 0 8 * * *", "Payload": "x"},
        "timer",
        {"cronExpression": "0 0 8 * * *", "enable": True, "payload": "x"},
        None,
    ),
    (
        "HTTP",
        {"AuthType": "ANONYMOUS", "Methods": ["GET"]},
        "http",
        {"authType": "anonymous", "methods": ["GET"]},
        None,
    ),
    (
        "OSS",
        {
            "BucketName": "b",
            "Events": ["oss:ObjectCreated:*"],
            "Filter": {"Key": {"Prefix": "in/", "Suffix": ".png"}},
        },
        "oss",
        {
            "bucketName": "b",
            "events": ["oss:ObjectCreated:*"],
            "filter": {"key": {"prefix": "in/", "suffix": ".png"}},
        },
        "acs:oss:{Region}:{AccountId}:b",
    ),
    (
        "Log",
        {
            "SourceConfig": {"Logstore": "src"},
            "JobConfig": {"MaxRetryTime": 1, "TriggerInterval": 30},
            "LogConfig": {"Project": "p", "Logstore": "out"},
        },
        "log",
        {
            "sourceConfig": {"logstore": "src"},
            "jobConfig": {"maxRetryTime": 1, "triggerInterval": 30},
            "logConfig": {"project": "p", "logstore": "out"},
            "functionParameter": {},
            "enable": True,
        },
        "acs:log:{Region}:{AccountId}:project/p",
    ),
    (
        "RDS",
        {
            "InstanceId": "rm-1",
            "SubscriptionObjects": ["db.t"],
            "Retry": 2,
            "Concurrency": 1,
            "EventFormat": "json",
        },
        "rds",
        {"subscriptionObjects": ["db.t"], "retry": 2, "concurrency": 1, "eventFormat": "json"},
        "acs:rds:{Region}:{AccountId}:dbinstance/rm-1",
    ),
    (
        "MNSTopic",
        {"TopicName": "t", "FilterTag": "tag"},
        "mns_topic",
        {"notifyContentFormat": "STREAM", "notifyStrategy": "BACKOFF_RETRY", "filterTag": "tag"},
        "acs:mns:{Region}:{AccountId}:/topics/t",
    ),
    (
        "TableStore",
        {"InstanceName": "i", "TableName": "t"},
        "tablestore",
        {"instanceName": "i", "tableName": "t"},
        "acs:ots:{Region}:{AccountId}:instance/i/table/t",
    ),
    (
        "CDN",
        {
            "EventName": "LogFileCreated",
            "EventVersion": "1.0.0",
            "Notes": "n",
            "Filter": {"Domain": ["a.com"]},
        },
        "cdn_events",
        {
            "eventName": "LogFileCreated",
            "eventVersion": "1.0.0",
            "notes": "n",
            "filter": {"domain": ["a.com"]},
        },
        "acs:cdn:*:{AccountId}",
    ),
]


@pytest.mark.parametrize("kind, props, trigger_type, config, arn_parts", EVENTS, ids=[e[0] for e in EVENTS])
def test_every_event_kind_becomes_a_trigger(tmp_path, kind, props, trigger_type, config, arn_parts):
    import json

    template = expand(
        tmp_path,
        f"""\
        Resources:
          svc:
            Type: Aliyun::Serverless::Service
            fn:
              Type: Aliyun::Serverless::Function
              Properties: {{Handler: index.handler, Runtime: python3, CodeUri: 'oss://b/k.zip'}}
              Events:
                ev:
                  Type: {kind}
                  Properties: {json.dumps({**props, "Qualifier": "LATEST"})}
        """,
    )
    trigger = resources(template)["svcfnev"]
    assert trigger["Type"] == "ALIYUN::FC::Trigger" and trigger["DependsOn"] == ["svcfn"]
    tprops = trigger["Properties"]
    assert tprops["TriggerName"] == "ev" and tprops["TriggerType"] == trigger_type
    assert tprops["TriggerConfig"] == config
    assert (
        tprops["FunctionName"] == {"Fn::GetAtt": ["svcfn", "FunctionName"]}
        and tprops["Qualifier"] == "LATEST"
    )
    if arn_parts is None:
        assert "SourceArn" not in tprops
    else:
        parts = tprops["SourceArn"]["Fn::Join"][1]
        text = "".join(p if isinstance(p, str) else "{" + p["Ref"].split("::")[1] + "}" for p in parts)
        assert text == arn_parts


def test_custom_domain_routes_point_at_generated_names(tmp_path):
    (tmp_path / "certs").mkdir()
    (tmp_path / "certs" / "key.pem").write_text("-----BEGIN RSA PRIVATE KEY-----\nk\n")
    template = expand(
        tmp_path,
        """\
        Resources:
          site:
            Type: Aliyun::Serverless::Service
            page:
              Type: Aliyun::Serverless::Function
              Properties: {Handler: index.handler, Runtime: python3, CodeUri: 'oss://b/k.zip'}
          www.example.com:
            Type: Aliyun::Serverless::CustomDomain
            Properties:
              Protocol: HTTP,HTTPS
              CertConfig:
                CertName: c
                PrivateKey: ./certs/key.pem
                Certificate: "-----BEGIN CERTIFICATE-----\\nx"
              RouteConfig:
                routes:
                  /page: {ServiceName: site, FunctionName: page, Qualifier: LATEST}
                  /other: {ServiceName: elsewhere, FunctionName: f}
        """,
    )
    domain = resources(template)["www.example.com"]
    assert domain["Type"] == "ALIYUN::FC::CustomDomain" and set(domain["DependsOn"]) == {"site", "sitepage"}
    props = domain["Properties"]
    assert props["DomainName"] == "www.example.com" and props["Protocol"] == "HTTP,HTTPS"
    assert props["RouteConfig"] == {
        "Routes": [
            {
                "Path": "/page",
                "ServiceName": {"Fn::GetAtt": ["site", "ServiceName"]},
                "FunctionName": {"Fn::GetAtt": ["sitepage", "FunctionName"]},
                "Qualifier": "LATEST",
            },
            {"Path": "/other", "ServiceName": "elsewhere", "FunctionName": "f"},
        ]
    }
    assert props["CertConfig"]["PrivateKey"].startswith("-----BEGIN RSA PRIVATE KEY-----")


def test_api_becomes_group_role_api_and_deployment(tmp_path):
    template = expand(
        tmp_path,
        """\
        Resources:
          fc:
            Type: Aliyun::Serverless::Service
            hello:
              Type: Aliyun::Serverless::Function
              Properties: {Handler: index.handler, Runtime: python3, CodeUri: 'oss://b/k.zip'}
          Gateway:
            Type: Aliyun::Serverless::Api
            Properties:
              StageName: RELEASE
              DefinitionBody:
                /hello:
                  get:
                    x-aliyun-apigateway-api-name: hello_get
                    x-aliyun-apigateway-fc:
                      arn: acs:fc:::services/${fc.Arn}/functions/${hello.Arn}/
                      timeout: 10000
                    x-aliyun-apigateway-request-parameters:
                      - {apiParameterName: token, location: Query, parameterType: String, required: REQUIRED}
        Outputs:
          Id:
            Value: !GetAtt Gateway.ApiId
          Group:
            Value: !GetAtt Gateway.GroupId
        """,
    )
    assert types(template) == {
        "fc": "ALIYUN::FC::Service",
        "fchello": "ALIYUN::FC::Function",
        "Gateway": "ALIYUN::ApiGateway::Group",
        "GatewayRole": "ALIYUN::RAM::Role",
        "AliyunFCInvocationAccessGatewayRole": "ALIYUN::RAM::AttachPolicyToRole",
        "Gatewayhelloget": "ALIYUN::ApiGateway::Api",
        "GatewayhellogetDeployment": "ALIYUN::ApiGateway::Deployment",
    }
    out = resources(template)
    api = out["Gatewayhelloget"]["Properties"]
    assert api["ApiName"] == "hello_get" and api["GroupId"] == {"Fn::GetAtt": ["Gateway", "GroupId"]}
    assert api["RequestConfig"] == {
        "RequestProtocol": "HTTP",
        "RequestMode": "PASSTHROUGH",
        "RequestHttpMethod": "GET",
        "RequestPath": "/hello",
    }
    backend = api["ServiceConfig"]["FunctionComputeConfig"]
    assert backend["ServiceName"] == {"Fn::GetAtt": ["fc", "ServiceName"]}
    assert backend["FunctionName"] == {"Fn::GetAtt": ["fchello", "FunctionName"]}
    assert (
        backend["RoleArn"] == {"Fn::GetAtt": ["GatewayRole", "Arn"]}
        and api["ServiceConfig"]["ServiceTimeOut"] == 10000
    )
    assert api["RequestParameters"] == [
        {"ApiParameterName": "token", "Location": "QUERY", "ParameterType": "String", "Required": "REQUIRED"}
    ]
    assert api["ServiceParameters"] == [
        {"ServiceParameterName": "token", "Location": "QUERY", "ParameterType": "STRING"}
    ]
    assert api["ServiceParametersMap"] == [{"RequestParameterName": "token", "ServiceParameterName": "token"}]
    deployment = out["GatewayhellogetDeployment"]["Properties"]
    assert deployment["StageName"] == "RELEASE" and deployment["ApiId"] == {
        "Fn::GetAtt": ["Gatewayhelloget", "ApiId"]
    }
    assert template.data["Outputs"]["Id"]["Value"] == {"Fn::GetAtt": ["Gatewayhelloget", "ApiId"]}
    assert template.data["Outputs"]["Group"]["Value"] == {"Fn::GetAtt": ["Gateway", "GroupId"]}


@pytest.mark.parametrize(
    ("request_type", "service_type"),
    [("String", "STRING"), ("Int", "NUMBER"), ("Double", "NUMBER"), ("Boolean", "BOOLEAN")],
)
def test_service_parameter_made_for_a_request_parameter_has_a_backend_type(
    tmp_path, request_type, service_type
):
    """API Gateway's backend parameters are STRING, NUMBER or BOOLEAN, unlike request parameters."""
    template = expand(
        tmp_path,
        f"""\
        Resources:
          fc:
            Type: Aliyun::Serverless::Service
            hello:
              Type: Aliyun::Serverless::Function
              Properties: {{Handler: index.handler, Runtime: python3, CodeUri: 'oss://b/k.zip'}}
          Gateway:
            Type: Aliyun::Serverless::Api
            Properties:
              StageName: RELEASE
              DefinitionBody:
                /hello:
                  get:
                    x-aliyun-apigateway-api-name: hello_get
                    x-aliyun-apigateway-fc:
                      arn: acs:fc:::services/${{fc.Arn}}/functions/${{hello.Arn}}/
                    x-aliyun-apigateway-request-parameters:
                      - apiParameterName: n
                        location: Query
                        parameterType: {request_type}
                        required: REQUIRED
        """,
    )
    api = resources(template)["Gatewayhelloget"]["Properties"]
    assert api["RequestParameters"][0]["ParameterType"] == request_type
    assert api["ServiceParameters"] == [
        {"ServiceParameterName": "n", "Location": "QUERY", "ParameterType": service_type}
    ]


def test_log_topic_table_store_and_flow(tmp_path):
    (tmp_path / "flow.yml").write_text("version: v1beta1\ntype: flow\nsteps: []\n")
    template = expand(
        tmp_path,
        """\
        Parameters:
          PK: {Type: Json, Default: [{Name: id, Type: STRING}]}
        Resources:
          logs:
            Type: Aliyun::Serverless::Log
            Properties: {Description: d}
            store:
              Type: Aliyun::Serverless::Log::Logstore
              Properties: {TTL: 10, ShardCount: 1}
          topic:
            Type: Aliyun::Serverless::MNSTopic
            Properties: {Region: cn-shanghai, MaximumMessageSize: 2048, LoggingEnabled: false}
          tables:
            Type: Aliyun::Serverless::TableStore
            Properties: {ClusterType: HYBRID, Description: d}
            users:
              Type: Aliyun::Serverless::TableStore::Table
              Properties:
                PrimaryKeyList: {Ref: PK}
                ProvisionedThroughput: {ReadCapacityUnits: 1, WriteCapacityUnits: 2}
          work:
            Type: Aliyun::Serverless::Flow
            DependsOn: topic
            Properties:
              Description: d
              DefinitionUri: ./flow.yml
              Policies: [AliyunFCInvocationAccess]
        Outputs:
          Store: {Value: !GetAtt logsstore.Name}
          Arn: {Value: !GetAtt [topic, ARN.WithSlash]}
          Text: {Value: !Sub 'topic ${topic.ARN.WithSlash} in ${logs.Name}'}
        """,
    )
    out = resources(template)
    assert out["logs"] == {"Type": "ALIYUN::SLS::Project", "Properties": {"Name": "logs", "Description": "d"}}
    assert out["logsstore"]["Properties"] == {
        "ProjectName": {"Fn::GetAtt": ["logs", "Name"]},
        "LogstoreName": "store",
        "TTL": 10,
        "ShardCount": 1,
    }
    assert out["topic"]["Properties"] == {
        "TopicName": "topic",
        "MaximumMessageSize": 2048,
        "LoggingEnabled": False,
    }
    assert out["tables"]["Properties"] == {
        "InstanceName": "tables",
        "ClusterType": "HYBRID",
        "Description": "d",
    }
    assert out["tablesusers"]["Properties"] == {
        "InstanceName": {"Fn::GetAtt": ["tables", "InstanceName"]},
        "TableName": "users",
        "PrimaryKey": {"Ref": "PK"},
        "ReservedThroughput": {"Read": 1, "Write": 2},
    }
    flow = out["work"]
    assert flow["Type"] == "ALIYUN::FNF::Flow" and flow["Properties"]["Name"] == "work"
    assert flow["Properties"]["Definition"].startswith("version: v1beta1")
    assert flow["Properties"]["RoleArn"] == {"Fn::GetAtt": ["workRole", "Arn"]}
    assert flow["DependsOn"] == ["topic", "workRole", "AliyunFCInvocationAccessworkRole"]
    trust = out["workRole"]["Properties"]["AssumeRolePolicyDocument"]["Statement"][0]["Principal"]
    assert trust == {"Service": ["fnf.aliyuncs.com"]}
    outputs = template.data["Outputs"]
    assert outputs["Store"]["Value"] == {"Fn::GetAtt": ["logsstore", "LogstoreName"]}
    assert outputs["Arn"]["Value"] == {"Fn::GetAtt": ["topic", "ArnWithSlash"]}
    assert outputs["Text"]["Value"] == {"Fn::Sub": "topic ${topic.ArnWithSlash} in ${logs.Name}"}


def test_plain_resources_other_sections_and_conditions_are_kept(tmp_path):
    template = expand(
        tmp_path,
        """\
        Parameters:
          Env: {Type: String, Default: dev}
        Conditions:
          Prod: !Equals [!Ref Env, prod]
        Resources:
          Plain:
            Type: ALIYUN::FC::Service
            Properties: {ServiceName: plain}
          svc:
            Type: Aliyun::Serverless::Service
            Condition: Prod
            Properties: {Policies: AliyunOSSFullAccess}
            fn:
              Type: Aliyun::Serverless::Function
              Properties: {Handler: index.handler, Runtime: python3, CodeUri: 'oss://b/k.zip'}
        Outputs:
          Name: {Value: !GetAtt svc.ServiceName, Condition: Prod}
        """,
    )
    out = resources(template)
    assert out["Plain"] == {"Type": "ALIYUN::FC::Service", "Properties": {"ServiceName": "plain"}}
    assert {lid for lid, r in out.items() if r.get("Condition") == "Prod"} == {
        "svc",
        "svcfn",
        "svcRole",
        "AliyunOSSFullAccesssvcRole",
    }
    assert template.data["Parameters"] == {"Env": {"Type": "String", "Default": "dev"}}
    assert template.data["Conditions"]["Prod"] == {"Fn::Equals": [{"Ref": "Env"}, "prod"]}
