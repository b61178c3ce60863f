"""CloudTrail records from log files (local or S3), an SQS queue, or a Lambda event.

A source only reads: it yields CloudTrail records (plain dicts, exactly as CloudTrail writes
them) and reports what it could not read as `Problem`s; it decides nothing.
"""

from railguard.sources.cloudtrail.logfile import LogFile, iter_log_files, list_log_files, read_log_file
from railguard.sources.cloudtrail.merge import merged_records
from railguard.sources.cloudtrail.message import BadMessage, TestMessage, records_from_message
from railguard.sources.cloudtrail.records import BadInput, Problem, check_record, parse_records

__all__ = [
    "BadInput",
    "BadMessage",
    "LogFile",
    "Problem",
    "TestMessage",
    "check_record",
    "iter_log_files",
    "list_log_files",
    "merged_records",
    "parse_records",
    "read_log_file",
    "records_from_message",
]
