package jobqueue

import "context"

// JobIterator walks a cursor listing page by page, fetching the next page when the current one is used up.
//
//	it := c.Jobs(ctx, jobqueue.JobFilter{Status: jobqueue.StatusCompleted})
//	for it.Next() {
//		job := it.Job()
//	}
//	if err := it.Err(); err != nil { … }
type JobIterator struct {
	ctx    context.Context
	client *Client
	filter JobFilter
	page   []*Job
	cursor string
	more   bool
	cur    *Job
	err    error
}

// Jobs iterates over every job matching f, newest first.
func (c *Client) Jobs(ctx context.Context, f JobFilter) *JobIterator {
	return &JobIterator{ctx: ctx, client: c, filter: f, more: true}
}

// Next moves to the next job and reports whether there is one; false at the end or on an error (see Err).
func (it *JobIterator) Next() bool {
	for len(it.page) == 0 {
		if !it.more || it.err != nil {
			it.cur = nil
			return false
		}
		p, err := it.client.ListJobsCursor(it.ctx, it.filter, it.cursor)
		if err != nil {
			it.err = err
			it.cur = nil
			return false
		}
		it.page = p.Items
		it.more = p.HasMore && p.NextCursor != nil
		if it.more {
			it.cursor = *p.NextCursor
		}
	}
	it.cur, it.page = it.page[0], it.page[1:]
	return true
}

// Job is the job Next moved to.
func (it *JobIterator) Job() *Job { return it.cur }

// Err is the error that ended the iteration, or nil.
func (it *JobIterator) Err() error { return it.err }
