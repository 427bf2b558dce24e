// A discord.js 14 bot for the simulator's conformance test (tests/simulator/test_conformance.py).
//
// discord.js is a second, independent client: what it accepts from the simulator is a check on
// the simulator's wire format that discord.py's leniencies cannot hide. The bot logs in, answers
// interactions by itself, and does bot-side actions when the test asks on stdin. It reports on
// stdout, one JSON object a line: {"event": ...} for what it saw, {"re": id, ...} for answers
// to the test's requests. Nothing else goes to stdout; discord.js's debug log goes to stderr.
//
// Environment: SIM_API (e.g. http://127.0.0.1:PORT/api/v10), SIM_TOKEN, and CONFORMANCE_MODULES,
// the directory whose node_modules holds the pinned discord.js (installed outside git).

import { createRequire } from 'node:module';
import { createInterface } from 'node:readline';
import { join } from 'node:path';

const require = createRequire(join(process.env.CONFORMANCE_MODULES, 'package.json'));
const {
	ActionRowBuilder,
	ButtonBuilder,
	ButtonStyle,
	Client,
	Events,
	GatewayIntentBits,
	GuildScheduledEventEntityType,
	GuildScheduledEventPrivacyLevel,
	MessageFlags,
	ModalBuilder,
	Partials,
	StringSelectMenuBuilder,
	TextInputBuilder,
	TextInputStyle,
} = require('discord.js');

function report(object) {
	process.stdout.write(`${JSON.stringify(object)}\n`);
}

function failure(error) {
	return {
		name: error?.name ?? 'Error',
		message: String(error?.message ?? error),
		code: error?.code ?? null,
		status: error?.status ?? null,
		url: error?.url ?? null,
	};
}

process.on('unhandledRejection', (error) => report({ event: 'error', where: 'unhandled', ...failure(error) }));

// No privileged intents: the simulator's application has none enabled, like a new bot's.
const client = new Client({
	intents: [
		GatewayIntentBits.Guilds,
		GatewayIntentBits.GuildMessages,
		GatewayIntentBits.GuildScheduledEvents,
		GatewayIntentBits.DirectMessages,
	],
	// GUILD_SCHEDULED_EVENT_USER_ADD carries only a user id; discord.js emits it for uncached
	// users only with the User partial, as its documentation says.
	partials: [Partials.User, Partials.GuildScheduledEvent],
	// @discordjs/rest appends the version to `api` itself.
	rest: { api: process.env.SIM_API.replace(/\/v\d+$/, ''), retries: 0, timeout: 10_000 },
});

client.on(Events.Debug, (line) => process.stderr.write(`[debug] ${line}\n`));
client.on(Events.Warn, (line) => process.stderr.write(`[warn] ${line}\n`));
client.on(Events.Error, (error) => report({ event: 'error', where: 'client', ...failure(error) }));

const openForm = () =>
	new ActionRowBuilder().addComponents(
		new ButtonBuilder().setCustomId('open-form').setLabel('Open form').setStyle(ButtonStyle.Primary),
	);

const feelingForm = () =>
	new ModalBuilder()
		.setCustomId('feeling-form')
		.setTitle('Check in')
		.addComponents(
			new ActionRowBuilder().addComponents(
				new TextInputBuilder()
					.setCustomId('feeling')
					.setLabel('How are you today?')
					.setStyle(TextInputStyle.Paragraph)
					.setMaxLength(500),
			),
		);

const commands = [
	{
		name: 'checkin',
		description: 'Check in with the group',
		options: [{ type: 3, name: 'note', description: 'A word on your day', required: false }],
	},
];

client.once(Events.ClientReady, async (ready) => {
	try {
		const application = await ready.application.fetch();
		await ready.application.commands.set(commands);
		const guilds = ready.guilds.cache.map((guild) => ({
			id: guild.id,
			name: guild.name,
			channels: guild.channels.cache.map((c) => ({ id: c.id, name: c.name, type: c.type })),
			roles: guild.roles.cache.map((r) => ({ id: r.id, name: r.name })),
			me: guild.members.me ? guild.members.me.id : null,
			can_send_in_general: (() => {
				const general = guild.channels.cache.find((c) => c.name === 'general');
				const me = guild.members.me;
				return Boolean(general && me && general.permissionsFor(me).has('SendMessages'));
			})(),
		}));
		report({
			event: 'ready',
			user: { id: ready.user.id, username: ready.user.username, bot: ready.user.bot },
			application: { id: application.id, name: application.name },
			commands: ready.application.commands.cache.map((c) => c.name),
			guilds,
		});
	} catch (error) {
		report({ event: 'error', where: 'ready', ...failure(error) });
	}
});

client.on(Events.InteractionCreate, async (interaction) => {
	const seen = {
		event: 'interaction',
		kind: interaction.type,
		user: interaction.user.id,
		channel: interaction.channelId,
		guild: interaction.guildId,
	};
	try {
		if (interaction.isChatInputCommand() && interaction.commandName === 'checkin') {
			report({ ...seen, command: 'checkin', note: interaction.options.getString('note') });
			await interaction.deferReply();
			const edited = await interaction.editReply({
				content: `Thanks for checking in, ${interaction.user.username}.`,
				components: [openForm()],
			});
			const followUp = await interaction.followUp({
				content: 'Only you can see this.',
				flags: MessageFlags.Ephemeral,
			});
			report({ event: 'answered', command: 'checkin', reply: edited.id, follow_up: followUp.id });
		} else if (interaction.isButton() && interaction.customId === 'open-form') {
			report({ ...seen, button: 'open-form', message: interaction.message.id });
			await interaction.showModal(feelingForm());
		} else if (interaction.isModalSubmit() && interaction.customId === 'feeling-form') {
			const feeling = interaction.fields.getTextInputValue('feeling');
			report({ ...seen, modal: 'feeling-form', feeling, from_message: interaction.message?.id ?? null });
			await interaction.reply({ content: `Noted: ${feeling}`, flags: MessageFlags.Ephemeral });
		} else if (interaction.isButton() && interaction.customId === 'hello') {
			report({ ...seen, button: 'hello', message: interaction.message.id });
			await interaction.reply({ content: `Hello, ${interaction.user.username}!`, flags: MessageFlags.Ephemeral });
		} else if (interaction.isStringSelectMenu() && interaction.customId === 'mood') {
			report({ ...seen, select: 'mood', values: interaction.values });
			await interaction.update({ content: `Mood today: ${interaction.values.join(', ')}`, components: [] });
		}
	} catch (error) {
		report({ event: 'error', where: 'interaction', ...failure(error) });
	}
});

client.on(Events.MessageCreate, (message) => {
	report({
		event: 'message',
		id: message.id,
		channel: message.channelId,
		author: message.author.id,
		in_thread: message.channel.isThread(),
	});
});

client.on(Events.ThreadCreate, (thread, newly) => {
	report({ event: 'thread_create', id: thread.id, parent: thread.parentId, name: thread.name, newly });
});

client.on(Events.GuildScheduledEventCreate, (event) => {
	report({ event: 'scheduled_event_create', id: event.id, name: event.name, status: event.status });
});

client.on(Events.GuildScheduledEventUserAdd, (event, user) => {
	report({ event: 'scheduled_event_user_add', id: event.id, user: user.id });
});

client.on(Events.ShardResume, (shard, replayed) => report({ event: 'resumed', shard, replayed }));

// -- what the test asks for -------------------------------------------------------------------

async function send({ channel }) {
	const target = await client.channels.fetch(channel);
	const message = await target.send({
		content: 'How is everyone doing?',
		embeds: [{ title: 'Daily check-in', description: 'Pick a mood or say hello.' }],
		components: [
			new ActionRowBuilder().addComponents(
				new ButtonBuilder().setCustomId('hello').setLabel('Say hello').setStyle(ButtonStyle.Secondary),
			),
			new ActionRowBuilder().addComponents(
				new StringSelectMenuBuilder()
					.setCustomId('mood')
					.setPlaceholder('Mood')
					.addOptions({ label: 'Calm', value: 'calm' }, { label: 'Rough', value: 'rough' }),
			),
		],
	});
	return { message: message.id, components: message.components.length };
}

async function thread({ channel, message, member }) {
	const parent = await client.channels.fetch(channel);
	const starter = await parent.messages.fetch(message);
	const created = await starter.startThread({ name: 'Check-in thread', autoArchiveDuration: 1440 });
	await created.members.add(member);
	const posted = await created.send('Welcome to the thread.');
	const members = await created.members.fetch();
	const active = await parent.guild.channels.fetchActiveThreads();
	return {
		thread: created.id,
		posted: posted.id,
		members: [...members.keys()].sort(),
		active: [...active.threads.keys()],
	};
}

async function scheduledEvent({ guild }) {
	const found = await client.guilds.fetch(guild);
	const start = new Date(Date.now() + 24 * 3600 * 1000);
	const created = await found.scheduledEvents.create({
		name: 'Tuesday group',
		scheduledStartTime: start,
		scheduledEndTime: new Date(start.getTime() + 3600 * 1000),
		privacyLevel: GuildScheduledEventPrivacyLevel.GuildOnly,
		entityType: GuildScheduledEventEntityType.External,
		entityMetadata: { location: 'Community hall' },
	});
	return { event: created.id, status: created.status };
}

async function subscribers({ guild, event }) {
	const found = await client.guilds.fetch(guild);
	const users = await found.scheduledEvents.fetchSubscribers(event);
	return { users: [...users.keys()] };
}

async function dm({ user }) {
	const target = await client.users.fetch(user);
	const sent = await target.send('A quiet note, just for you.');
	return { message: sent.id, channel: sent.channelId };
}

const actions = { send, thread, scheduledEvent, subscribers, dm };

const requests = createInterface({ input: process.stdin });
// The test gone (stdin closed) means stop: never outlive it.
requests.on('close', () => client.destroy().finally(() => process.exit(0)));
requests.on('line', async (line) => {
	const request = JSON.parse(line);
	if (request.do === 'stop') {
		await client.destroy();
		report({ re: request.id, ok: true });
		process.exit(0);
	}
	try {
		report({ re: request.id, ok: true, ...(await actions[request.do](request)) });
	} catch (error) {
		report({ re: request.id, ok: false, ...failure(error) });
	}
});

client.login(process.env.SIM_TOKEN).catch((error) => {
	report({ event: 'error', where: 'login', ...failure(error) });
	process.exit(1);
});
