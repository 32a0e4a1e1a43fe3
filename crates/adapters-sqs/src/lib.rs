//! SQS adapters: the job queue of the Lambda deployment, with dead-letter queues, on
//! `aws-sdk-sqs`.
//!
//! Nothing is implemented yet.
