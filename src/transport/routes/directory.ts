// Directory REST: hotels, users, rooms, guests, stays and notifications. Handlers only decode,
// call the directory services (which authorise and scope by hotel) and encode.
import type { GuestService } from '../../directory/guests.js';
import type { HotelService } from '../../directory/hotels.js';
import type { NotificationService } from '../../directory/notifications.js';
import type { RoomService } from '../../directory/rooms.js';
import { parseId } from '../../directory/scope.js';
import type { StayService } from '../../directory/stays.js';
import type { UserService } from '../../directory/users.js';
import type { Static } from 'typebox';
import type {
  CheckInInput, GuestInput, GuestPatchInput, HotelInput, HotelPatchInput, RoomInput, RoomPatchInput,
  StayInput, StayPatchInput, UserInput, UserPatchInput,
} from '../../core/directory.js';
import * as d from '../../protocol/rest/directory.js';
import * as r from '../../protocol/rest/replies.js';
import type { RouteDoc } from '../../protocol/contract.js';
import { presentGuest, presentHotel, presentNotification, presentRoom, presentStay, presentUser } from '../presenters/directory.js';
import { parseQuery } from '../http/query.js';
import type { Route } from '../http/router.js';
import { pageParams, type Checked, type Kit, type WireFits } from './kit.js';

// Every body a directory service takes, checked against the domain input at compile time.
type DirectoryBodiesFit = Checked<[
  WireFits<Static<typeof d.HotelCreate>, HotelInput>,
  WireFits<Static<typeof d.HotelPatch>, HotelPatchInput>,
  WireFits<Static<typeof d.UserCreate>, UserInput>,
  WireFits<Static<typeof d.UserPatch>, UserPatchInput>,
  WireFits<Static<typeof d.RoomCreate>, RoomInput>,
  WireFits<Static<typeof d.RoomPatch>, RoomPatchInput>,
  WireFits<Static<typeof d.GuestCreate>, GuestInput>,
  WireFits<Static<typeof d.GuestPatch>, GuestPatchInput>,
  WireFits<Static<typeof d.StayCreate>, StayInput>,
  WireFits<Static<typeof d.StayPatch>, StayPatchInput>,
  WireFits<Static<typeof d.CheckInBody>, CheckInInput>,
]>;

export interface DirectoryServices {
  hotels: HotelService;
  users: UserService;
  rooms: RoomService;
  guests: GuestService;
  stays: StayService;
  notifications: NotificationService;
}

const doc = (summary: string, responses: RouteDoc['responses'], more: Omit<RouteDoc, 'summary' | 'responses'> = {}) => ({ doc: { summary, responses, ...more } });
const NO_CONTENT = { 204: { description: 'Done; no body' } };

export function directoryRoutes(s: DirectoryServices, kit: Kit): Route[] {
  const { authed } = kit;
  return [
    // ───── hotels ─────
    authed('GET', '/api/hotels', async (ctx, me) => {
      const q = parseQuery(ctx, d.HotelQuery);
      const p = pageParams(q);
      return kit.page(ctx, p, await s.hotels.list(me, q, p), presentHotel);
    }, doc('List hotels (platform admins: all; others: their own)', { 200: r.Page(r.HotelReply) }, { query: d.HotelQuery })),
    authed('POST', '/api/hotels', async (ctx, me) => ({ status: 201, body: presentHotel(await s.hotels.create(me, await ctx.json(d.HotelCreate))) }), doc('Create a hotel (platform admins)', { 201: r.HotelReply }, { body: d.HotelCreate })),
    authed('GET', '/api/hotels/:id', async (ctx, me) => ({ status: 200, body: presentHotel(await s.hotels.get(me, ctx.params['id']!)) }), doc('A hotel', { 200: r.HotelReply })),
    authed('PATCH', '/api/hotels/:id', async (ctx, me) => ({
      status: 200,
      body: presentHotel(await s.hotels.update(me, ctx.params['id']!, await ctx.json(d.HotelPatch))),
    }), doc('Edit a hotel, including the onboarding profile fields', { 200: r.HotelReply }, { body: d.HotelPatch })),

    // ───── users ─────
    authed('GET', '/api/users', async (ctx, me) => {
      const q = parseQuery(ctx, d.UserQuery);
      const p = pageParams(q);
      return kit.page(ctx, p, await s.users.list(me, q, p), presentUser);
    }, doc('List staff', { 200: r.Page(r.UserReply) }, { query: d.UserQuery })),
    authed('POST', '/api/users', async (ctx, me) => ({ status: 201, body: presentUser(await s.users.create(me, await ctx.json(d.UserCreate))) }), doc('Create a staff account', { 201: r.UserReply }, { body: d.UserCreate })),
    authed('GET', '/api/users/:id', async (ctx, me) => ({ status: 200, body: presentUser(await s.users.get(me, parseId(ctx.params['id']!, 'User'))) }), doc('A staff account', { 200: r.UserReply })),
    authed('PATCH', '/api/users/:id', async (ctx, me) => ({
      status: 200,
      body: presentUser(await s.users.update(me, parseId(ctx.params['id']!, 'User'), await ctx.json(d.UserPatch))),
    }), doc('Edit a staff account (is_active_hotel_user is is_active)', { 200: r.UserReply }, { body: d.UserPatch })),
    authed('DELETE', '/api/users/:id', async (ctx, me) => {
      await s.users.deactivate(me, parseId(ctx.params['id']!, 'User'));
      return { status: 204 };
    }, doc('Deactivate a staff account', NO_CONTENT)),

    // ───── rooms ─────
    authed('GET', '/api/rooms', async (ctx, me) => {
      const q = parseQuery(ctx, d.RoomQuery);
      const p = pageParams(q);
      return kit.page(ctx, p, await s.rooms.list(me, q, p), presentRoom);
    }, doc('List rooms (filters: floor, status, search by number; empty values count as absent)', { 200: r.Page(r.RoomReply) }, { query: d.RoomQuery })),
    // Before /api/rooms/:id in the table; the router prefers the literal segment either way.
    authed('GET', '/api/rooms/floors', async (ctx, me) => ({ status: 200, body: await s.rooms.floors(me, parseQuery(ctx, d.RoomFloorsQuery)) }), doc('The floors that have rooms', { 200: r.FloorsReply }, { query: d.RoomFloorsQuery })),
    authed('POST', '/api/rooms', async (ctx, me) => ({
      status: 201,
      body: presentRoom(await s.rooms.create(me, await ctx.json(d.RoomCreate))),
    }), doc('Create a room', { 201: r.RoomReply }, { body: d.RoomCreate })),
    authed('GET', '/api/rooms/:id', async (ctx, me) => ({ status: 200, body: presentRoom(await s.rooms.get(me, parseId(ctx.params['id']!, 'Room'))) }), doc('A room', { 200: r.RoomReply })),
    authed('PATCH', '/api/rooms/:id', async (ctx, me) => ({
      status: 200,
      body: presentRoom(await s.rooms.update(me, parseId(ctx.params['id']!, 'Room'), await ctx.json(d.RoomPatch))),
    }), doc('Edit a room', { 200: r.RoomReply }, { body: d.RoomPatch })),
    authed('DELETE', '/api/rooms/:id', async (ctx, me) => {
      await s.rooms.remove(me, parseId(ctx.params['id']!, 'Room'));
      return { status: 204 };
    }, doc('Delete a room (not while a guest is checked in)', NO_CONTENT)),

    // ───── guests ─────
    authed('GET', '/api/guests', async (ctx, me) => {
      const q = parseQuery(ctx, d.GuestQuery);
      const p = pageParams(q);
      return kit.page(ctx, p, await s.guests.list(me, q, p), presentGuest);
    }, doc('List guests', { 200: r.Page(r.GuestReply) }, { query: d.GuestQuery })),
    authed('POST', '/api/guests', async (ctx, me) => ({ status: 201, body: presentGuest(await s.guests.create(me, await ctx.json(d.GuestCreate))) }), doc('Create a guest', { 201: r.GuestReply }, { body: d.GuestCreate })),
    authed('GET', '/api/guests/:id', async (ctx, me) => ({ status: 200, body: presentGuest(await s.guests.get(me, parseId(ctx.params['id']!, 'Guest'))) }), doc('A guest', { 200: r.GuestReply })),
    authed('PATCH', '/api/guests/:id', async (ctx, me) => ({
      status: 200,
      body: presentGuest(await s.guests.update(me, parseId(ctx.params['id']!, 'Guest'), await ctx.json(d.GuestPatch))),
    }), doc('Edit a guest', { 200: r.GuestReply }, { body: d.GuestPatch })),
    authed('POST', '/api/guests/:id/socket-token', async (ctx, me) => {
      await ctx.json(d.EmptyBody);
      return { status: 201, body: await s.guests.issueSocketToken(me, parseId(ctx.params['id']!, 'Guest')) };
    }, doc('Issue a token for the guest socket', { 201: r.GuestTokenReply }, { body: d.EmptyBody })),

    // ───── stays ─────
    authed('GET', '/api/stays', async (ctx, me) => {
      const q = parseQuery(ctx, d.StayQuery);
      const p = pageParams(q);
      return kit.page(ctx, p, await s.stays.list(me, q, p), presentStay);
    }, doc('List stays', { 200: r.Page(r.StayReply) }, { query: d.StayQuery })),
    authed('POST', '/api/stays', async (ctx, me) => ({
      status: 201,
      body: presentStay(await s.stays.create(me, await ctx.json(d.StayCreate))),
    }), doc('Create a stay (with an existing or a new guest)', { 201: r.StayReply }, { body: d.StayCreate })),
    authed('GET', '/api/stays/:id', async (ctx, me) => ({ status: 200, body: presentStay(await s.stays.get(me, parseId(ctx.params['id']!, 'Stay'))) }), doc('A stay', { 200: r.StayReply })),
    authed('PATCH', '/api/stays/:id', async (ctx, me) => ({
      status: 200,
      body: presentStay(await s.stays.update(me, parseId(ctx.params['id']!, 'Stay'), await ctx.json(d.StayPatch))),
    }), doc('Edit a stay', { 200: r.StayReply }, { body: d.StayPatch })),
    authed('POST', '/api/stays/:id/check-in', async (ctx, me) => ({
      status: 200,
      body: presentStay(await s.stays.checkIn(me, parseId(ctx.params['id']!, 'Stay'), await ctx.json(d.CheckInBody))),
    }), doc('Check a stay in', { 200: r.StayReply }, { body: d.CheckInBody })),
    authed('POST', '/api/stays/:id/check-out', async (ctx, me) => {
      await ctx.json(d.EmptyBody);
      return { status: 200, body: presentStay(await s.stays.checkOut(me, parseId(ctx.params['id']!, 'Stay'))) };
    }, doc('Check a stay out', { 200: r.StayReply }, { body: d.EmptyBody })),
    authed('POST', '/api/stays/:id/cancel', async (ctx, me) => {
      await ctx.json(d.EmptyBody);
      return { status: 200, body: presentStay(await s.stays.cancel(me, parseId(ctx.params['id']!, 'Stay'))) };
    }, doc('Cancel a stay', { 200: r.StayReply }, { body: d.EmptyBody })),

    // ───── notifications (the dashboard polls these on every page) ─────
    authed('GET', '/api/notifications', async (ctx, me) => {
      const q = parseQuery(ctx, d.NotificationQuery);
      const p = pageParams(q);
      return kit.page(ctx, p, await s.notifications.list(me, { unread: q.unread }, p), presentNotification);
    }, doc('The user\'s notifications', { 200: r.Page(r.NotificationReply) }, { query: d.NotificationQuery })),
    authed('POST', '/api/notifications/:id/mark-read', async (ctx, me) => {
      await ctx.json(d.EmptyBody);
      const id = parseId(ctx.params['id']!, 'Notification');
      await s.notifications.markRead(me, id);
      return { status: 200, body: { id, is_read: true } };
    }, doc('Mark a notification read', { 200: r.NotificationReadReply }, { body: d.EmptyBody })),
    authed('POST', '/api/notifications/mark-all-read', async (ctx, me) => {
      await ctx.json(d.EmptyBody);
      return { status: 200, body: { marked_read: await s.notifications.markAllRead(me) } };
    }, doc('Mark every notification read', { 200: r.NotificationsReadReply }, { body: d.EmptyBody })),
  ];
}
