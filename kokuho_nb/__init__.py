"""kokuho-nb: case-work notebook suite for delinquent National Health Insurance premium collection."""
