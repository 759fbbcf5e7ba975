module github.com/jobqueue/jobqueue/sdk/go

go 1.19
