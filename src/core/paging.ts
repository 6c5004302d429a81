// A page of a list: what a query asks for and what it returns (count of all rows, this page).
export interface Page {
  limit: number;
  offset: number;
}

export interface Paged<T> {
  count: number;
  rows: T[];
}
