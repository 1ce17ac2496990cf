// An Express 5 app with express-session and passport-local, whose pages are Pagewire scripts:
// the scripts see the signed-in user (`request.context.user`), a logout closes the user's open
// pages everywhere (they reload, to the login page), and an Express route tells the open pages
// something (`wire.publish`). Run it: `npx tsx examples/passport/server.ts`, then open
// http://localhost:3000 and sign in as alice / alice or bob / bob.
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import express, { type NextFunction, type Request, type Response } from 'express';
import session from 'express-session';
import passport from 'passport';
import { Strategy as LocalStrategy } from 'passport-local';
import { type Logger, pagewire } from 'pagewire';

declare global {
  namespace Express {
    // What passport puts on `req.user` in this app.
    interface User {
      id: string;
      name: string;
    }
  }
}

/** The users, with their passwords in the clear: an example, not a user store. */
const USERS = new Map([
  ['alice', { id: 'alice', name: 'Alice', password: 'alice' }],
  ['bob', { id: 'bob', name: 'Bob', password: 'bob' }],
]);

passport.use(
  new LocalStrategy((username, password, done) => {
    const user = USERS.get(username);
    if (!user || user.password !== password) return done(null, false);
    done(null, { id: user.id, name: user.name });
  }),
);
passport.serializeUser((user, done) => done(null, user.id));
passport.deserializeUser((id: string, done) => {
  const user = USERS.get(id);
  done(null, user ? { id: user.id, name: user.name } : false);
});

export interface Example {
  url: string;
  close(): Promise<void>;
}

/** Starts the app on `port` (0: any free one) of `host`. */
export async function start(port = 3000, host = 'localhost', logger?: Logger): Promise<Example> {
  const sessionMiddleware = session({
    secret: process.env.SESSION_SECRET ?? 'an example secret: set SESSION_SECRET',
    resave: false,
    saveUninitialized: false,
    cookie: { httpOnly: true, sameSite: 'lax' },
  });
  const wire = pagewire({
    dir: path.join(import.meta.dirname, 'scripts'),
    ...(logger ? { logger } : {}),
    // What scripts read as `request.context` (scripts/context.d.ts says so to the editor): plain
    // data, computed for every render and again for every page socket.
    context: (req: Request) => ({ user: req.user ? { id: req.user.id, name: req.user.name } : null }),
    // The page socket's upgrade does not go through Express: the same session and user for it,
    // so that a page whose browser signed out or changed user meanwhile closes when it re-joins.
    socketMiddleware: [sessionMiddleware, passport.session()],
  });

  const app = express();
  app.use(sessionMiddleware, passport.session(), express.urlencoded({ extended: false }));
  app.post('/login', passport.authenticate('local', { successRedirect: '/', failureRedirect: '/login?failed' }));
  app.post('/logout', (req, res, next) => {
    const id = req.user?.id;
    req.logout((error) => {
      if (error) return next(error);
      // Logout everywhere: every page this user has open, in any tab or browser, closes (its
      // close hooks run) and reloads, which brings it to the login page.
      if (id) wire.closePages((context) => context.user?.id === id);
      res.redirect('/login');
    });
  });
  // Pages are for signed-in users; the login page and Pagewire's own endpoints are for anyone.
  app.use((req: Request, res: Response, next: NextFunction) => {
    if (req.user || req.path === '/login' || req.path.startsWith('/__pagewire/')) return next();
    res.redirect('/login');
  });
  app.post('/announce', (req, res) => {
    const text = String(req.body?.text ?? '').slice(0, 200);
    // Every open page subscribed to the channel hears it, as if a script had published it.
    if (text) wire.publish('announcements', `${req.user?.name}: ${text}`);
    res.redirect('/');
  });
  app.use(wire);

  const server = await new Promise<Server>((resolve) => {
    const listening = app.listen(port, host, () => resolve(listening));
  });
  wire.attach(server);
  const address = server.address() as AddressInfo;
  return {
    url: `http://${host}:${address.port}`,
    close: async () => {
      await wire.close();
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const { url } = await start(Number(process.env.PORT ?? 3000));
  console.log(`Open ${url} and sign in as alice / alice or bob / bob`);
}
