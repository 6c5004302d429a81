-- The value rules of the rows every message writes (a message, and the bump of its conversation)
-- move from table CHECK constraints to domains. Same rules, same refusal (SQLSTATE 23514).
--
-- Why: Postgres re-reads and re-plans a table's CHECK expressions from their stored text in every
-- statement that writes the table, and an UPDATE checks all of them even when it changes none of
-- their columns. For the one-message append (the path of every message at low load) that was
-- about a fifth of the statement's CPU. A domain's rules are parsed once per session (type
-- cache) and run only on the values written into that column.
--
-- Each domain is created without its rule first: turning a column into a domain over its type
-- without a rule is a catalog change, not a rewrite of the table. The rule is then added NOT
-- VALID: the CHECK it replaces held the same rule for every row already stored, so scanning them
-- again (under the lock this migration holds, about 1 s per million messages) would prove
-- nothing. New and changed values are checked all the same. The partial indexes of
-- conversations whose predicate names `status` are rebuilt (the column's type is in it).

create domain message_sender_type as text;
create domain message_kind as text;
create domain message_delivery_status as text;
create domain message_seq as bigint;
alter table messages
  alter column sender_type type message_sender_type,
  alter column message_type type message_kind,
  alter column delivery_status type message_delivery_status,
  alter column seq type message_seq;
alter table messages
  drop constraint messages_sender_type_check,
  drop constraint messages_message_type_check,
  drop constraint messages_delivery_status_check,
  drop constraint messages_seq_check;
alter domain message_sender_type add constraint message_sender_type_check check (value in ('guest', 'staff', 'system')) not valid;
alter domain message_kind add constraint message_kind_check check (value in ('text', 'image', 'document', 'video', 'audio', 'system')) not valid;
alter domain message_delivery_status add constraint message_delivery_status_check check (value in ('queued', 'sent', 'delivered', 'read', 'failed')) not valid;
alter domain message_seq add constraint message_seq_check check (value > 0) not valid;

create domain conversation_department as text;
create domain conversation_kind as text;
create domain conversation_status as text;
alter table conversations
  alter column department type conversation_department,
  alter column conversation_type type conversation_kind,
  alter column status type conversation_status;
alter table conversations
  drop constraint conversations_department_check,
  drop constraint conversations_conversation_type_check,
  drop constraint conversations_status_check;
alter domain conversation_department add constraint conversation_department_check
  check (value in ('Reception', 'Housekeeping', 'Room Service', 'Restaurant', 'Management')) not valid;
alter domain conversation_kind add constraint conversation_kind_check
  check (value in ('service', 'demo', 'checkin', 'checked_in', 'general')) not valid;
alter domain conversation_status add constraint conversation_status_check
  check (value in ('active', 'closed', 'archived')) not valid;
