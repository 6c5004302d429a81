-- The value rules of the rows every message writes (a message, and the bump of its conversation)
-- move from table CHECK constraints to domains. Same rules, same refusal (SQLSTATE 23514).
--
-- Why: Postgres re-reads and re-plans a table's CHECK expressions from their stored text in every
-- statement that writes the table, and an UPDATE checks all of them even when it changes none of
-- their columns. For the one-message append (the path of every message at low load) that was
-- about a fifth of the statement's CPU. A domain's rules are parsed once per session (type
-- cache) and run only on the values written into that column.
--
-- Each domain is created without its rule first: turning a text column into a domain over text
-- without a rule is a catalog change, not a rewrite of the table. The rule is then added to the
-- domain, which checks the rows already stored (a scan, no rewrite).

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
alter domain message_sender_type add constraint message_sender_type_check check (value in ('guest', 'staff', 'system'));
alter domain message_kind add constraint message_kind_check check (value in ('text', 'image', 'document', 'video', 'audio', 'system'));
alter domain message_delivery_status add constraint message_delivery_status_check check (value in ('queued', 'sent', 'delivered', 'read', 'failed'));
alter domain message_seq add constraint message_seq_check check (value > 0);

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
  check (value in ('Reception', 'Housekeeping', 'Room Service', 'Restaurant', 'Management'));
alter domain conversation_kind add constraint conversation_kind_check
  check (value in ('service', 'demo', 'checkin', 'checked_in', 'general'));
alter domain conversation_status add constraint conversation_status_check
  check (value in ('active', 'closed', 'archived'));
